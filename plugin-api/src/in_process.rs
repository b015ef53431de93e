//! The in-process channel: an adapter compiled into the host's own program (a built-in) takes
//! its requests and gives its answers as the typed values themselves, moved rather than encoded
//! as JSON. A long session is tens of megabytes of transcript, and JSON across the ABI would
//! encode and decode it on every crossing.
//!
//! The host says it speaks [`ENCODING_IN_PROCESS`](crate::ENCODING_IN_PROCESS) in its `hello`;
//! the wrapper answering it then leaves its adapter in this module's handover slot, which the
//! host takes right after the call ([`take_handover`]). The slot is a thread-local of this crate:
//! a plugin library carries its own copy of the crate, and so of the slot, so only an adapter
//! compiled into the host's program can fill the host's slot, and the values it exchanges are
//! then of the host's own types. A plugin file always answers through the ABI as JSON.

use std::cell::RefCell;
use std::sync::Arc;

use crate::{
    Adapter, AdapterError, AdapterResult, ExtractRequest, Extracted, InjectRequest, Injected,
    ListRequest, SessionSummary, guarded,
};

/// The operations that carry sessions, without the ABI in between. Each call is guarded like an
/// ABI call: a panic in the adapter is an [`ErrorKind::Internal`](crate::ErrorKind) error.
pub trait InProcess: Send + Sync {
    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>>;
    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted>;
    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected>;
}

/// An [`Adapter`] behind the in-process channel.
pub(crate) struct Direct<A>(pub(crate) Arc<A>);

impl<A: Adapter> Direct<A> {
    fn run<T>(&self, op: impl FnOnce(&A) -> AdapterResult<T>) -> AdapterResult<T> {
        guarded(|| op(&self.0))
            .unwrap_or_else(|message| Err(AdapterError::internal(format!("crashed: {message}"))))
    }
}

impl<A: Adapter> InProcess for Direct<A> {
    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        self.run(|a| a.list_sessions(request))
    }
    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        self.run(|a| a.extract(request))
    }
    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        self.run(|a| a.inject(request))
    }
}

thread_local! {
    static HANDOVER: RefCell<Option<Arc<dyn InProcess>>> = const { RefCell::new(None) };
}

/// Leaves `adapter` for the host, which takes it on this thread after its `hello` call.
pub(crate) fn hand_over(adapter: Arc<dyn InProcess>) {
    HANDOVER.with(|slot| *slot.borrow_mut() = Some(adapter));
}

/// The adapter the last `hello` on this thread handed over, if it lives in this program's copy
/// of the crate. The host empties the slot before its call and takes it after.
pub fn take_handover() -> Option<Arc<dyn InProcess>> {
    HANDOVER.with(|slot| slot.borrow_mut().take())
}
