//! The plugin API of `handoff`: the transcript model every adapter speaks, the typed operations,
//! and the frozen ABI that carries them across a `cdylib` boundary.
//!
//! An adapter author implements [`Adapter`] and exports it with [`export_adapter!`]; the wrapper
//! here turns it into the ABI (JSON across, panics caught). Built-in adapters go through the very
//! same [`root_module`], so the host has one code path for both.
#![allow(non_local_definitions)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod ffi;
pub mod model;
pub mod protocol;

pub use abi_stable;
pub use model::*;
pub use protocol::*;

use abi_stable::{
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString},
};
use serde::de::DeserializeOwned;
use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use ffi::{AdapterBox, AdapterFfi, AdapterFfi_TO, AdapterModule, AdapterModuleRef};

/// What an agent adapter does. Implement this; the ABI is handled for you.
pub trait Adapter: Send + Sync + 'static {
    /// Short agent name, as typed on the command line (`aider`).
    fn name(&self) -> &str;
    fn info(&self) -> AgentInfo;
    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>>;
    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted>;
    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected>;
    /// Operations added after the ABI froze. Unknown methods are [`ErrorKind::Unsupported`].
    fn call(&self, method: &str, _request: serde_json::Value) -> AdapterResult<serde_json::Value> {
        Err(AdapterError::unsupported(format!(
            "{}: unknown method {method:?}",
            self.name()
        )))
    }
}

/// The root module of adapter `A`. Built-ins call this directly; plugins via [`export_adapter!`].
pub fn root_module<A: Adapter + Default>() -> AdapterModuleRef {
    AdapterModule {
        new_adapter: new_adapter::<A>,
    }
    .leak_into_prefix()
}

extern "C" fn new_adapter<A: Adapter + Default>() -> AdapterBox {
    // Constructing the adapter runs author code too: a panic here must not unwind across the ABI.
    let adapter = guarded(A::default)
        .map(|a| Wrapped(Ok(a)))
        .unwrap_or_else(|message| {
            Wrapped(Err(AdapterError::internal(format!(
                "adapter constructor crashed: {message}"
            ))))
        });
    AdapterFfi_TO::from_value(adapter, TD_Opaque)
}

/// The ABI face of an [`Adapter`]; holds the constructor's failure if it had one.
struct Wrapped<A>(Result<A, AdapterError>);

impl<A: Adapter> Wrapped<A> {
    fn run<Req, Resp>(
        &self,
        request: RStr<'_>,
        op: impl FnOnce(&A, Req) -> AdapterResult<Resp>,
        encode: fn(&Resp) -> serde_json::Result<String>,
    ) -> RResult<RString, RString>
    where
        Req: DeserializeOwned,
    {
        let answer = guarded(|| {
            let adapter = self.0.as_ref().map_err(Clone::clone)?;
            let request: Req = serde_json::from_str(request.as_str()).map_err(|e| {
                AdapterError::invalid(format!("{}: bad request JSON: {e}", adapter.name()))
            })?;
            let response = op(adapter, request)?;
            encode(&response)
                .map_err(|e| AdapterError::internal(format!("cannot encode answer: {e}")))
        })
        .unwrap_or_else(|message| Err(AdapterError::internal(format!("crashed: {message}"))));
        match answer {
            Ok(json) => RResult::ROk(json.into()),
            Err(error) => RResult::RErr(encode_error(&error).into()),
        }
    }
}

/// An extraction as JSON, the same bytes as `serde_json::to_string` gives, with the messages'
/// second half encoded on another thread: a long session is tens of megabytes of JSON, on the
/// path of every transfer.
fn encode_extracted(extracted: &Extracted) -> serde_json::Result<String> {
    /// Below this many messages a thread costs more than it saves.
    const PARALLEL_FROM: usize = 64;
    fn messages_into(out: &mut Vec<u8>, messages: &[Message]) -> serde_json::Result<()> {
        for (index, message) in messages.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, message)?;
        }
        Ok(())
    }
    let Extracted { transcript, report } = extracted;
    let messages = &transcript.messages;
    let (head, tail) = if messages.len() < PARALLEL_FROM {
        (&messages[..], &[][..])
    } else {
        messages.split_at(messages.len() / 2)
    };
    let mut out = Vec::new();
    out.extend_from_slice(br#"{"transcript":{"ir_version":"#);
    serde_json::to_writer(&mut out, &transcript.ir_version)?;
    out.extend_from_slice(br#","session":"#);
    serde_json::to_writer(&mut out, &transcript.session)?;
    out.extend_from_slice(br#","messages":["#);
    let tail = std::thread::scope(|scope| {
        let tail = scope.spawn(|| {
            let mut tail_out = Vec::new();
            messages_into(&mut tail_out, tail).map(|()| tail_out)
        });
        messages_into(&mut out, head)?;
        tail.join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    if !head.is_empty() && !tail.is_empty() {
        out.push(b',');
    }
    out.extend_from_slice(&tail);
    out.extend_from_slice(br#"]},"report":"#);
    serde_json::to_writer(&mut out, report)?;
    out.push(b'}');
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

fn encode_error(error: &AdapterError) -> String {
    serde_json::to_string(error).unwrap_or_else(|_| error.message.clone())
}

impl<A: Adapter> AdapterFfi for Wrapped<A> {
    fn name(&self) -> RString {
        let name = guarded(|| match &self.0 {
            Ok(adapter) => adapter.name().to_owned(),
            Err(_) => String::from("(broken adapter)"),
        });
        name.unwrap_or_else(|_| String::from("(broken adapter)"))
            .into()
    }

    fn info(&self) -> RString {
        let info = guarded(|| {
            let adapter = self.0.as_ref().map_err(Clone::clone)?;
            serde_json::to_string(&adapter.info())
                .map_err(|e| AdapterError::internal(e.to_string()))
        });
        match info {
            Ok(Ok(json)) => json.into(),
            // An empty string tells the host the adapter cannot describe itself.
            _ => RString::new(),
        }
    }

    fn list_sessions(&self, request: RStr<'_>) -> RResult<RString, RString> {
        self.run(
            request,
            |a, r: ListRequest| a.list_sessions(r),
            serde_json::to_string,
        )
    }

    fn extract(&self, request: RStr<'_>) -> RResult<RString, RString> {
        self.run(
            request,
            |a, r: ExtractRequest| a.extract(r),
            encode_extracted,
        )
    }

    fn inject(&self, request: RStr<'_>) -> RResult<RString, RString> {
        self.run(
            request,
            |a, r: InjectRequest| a.inject(r),
            serde_json::to_string,
        )
    }

    fn call(&self, method: RStr<'_>, request: RStr<'_>) -> RResult<RString, RString> {
        let method = method.as_str();
        self.run(
            request,
            |a, r: serde_json::Value| a.call(method, r),
            serde_json::to_string,
        )
    }
}

thread_local! {
    static IN_ADAPTER: Cell<bool> = const { Cell::new(false) };
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs adapter code, turning a panic into its message. While adapter code runs the panic is not
/// printed (the host reports it as an error line); elsewhere the previous hook still applies.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_ADAPTER.with(Cell::get) {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let payload = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| String::from("unknown panic"));
                PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(format!("{payload}{location}")));
            } else {
                previous(info);
            }
        }));
    });
    let outer = IN_ADAPTER.with(|flag| flag.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    IN_ADAPTER.with(|flag| flag.set(outer));
    result.map_err(|payload| {
        // A panic resumed from a helper thread did not pass through the hook on this one.
        PANIC_MESSAGE
            .with(|m| m.borrow_mut().take())
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| String::from("unknown panic"))
    })
}

/// Decodes an operation's error string (JSON, or plain text from a foreign adapter).
pub fn decode_error(text: &str) -> AdapterError {
    serde_json::from_str(text).unwrap_or_else(|_| AdapterError::internal(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extraction_encodes_to_the_same_bytes_as_serde_json() {
        for count in [0, 1, 2, 63, 64, 65, 301] {
            let messages = (0..count)
                .map(|i| {
                    let mut message = Message::new(
                        if i % 2 == 0 {
                            Role::User
                        } else {
                            Role::Assistant
                        },
                        vec![Part::Text {
                            text: format!("message {i}: \"quoted\"\n"),
                        }],
                    );
                    message.timestamp_ms = Some(i);
                    message
                })
                .collect();
            let extracted = Extracted {
                transcript: Transcript::new(
                    SessionMeta {
                        id: "s".into(),
                        agent: "test".into(),
                        title: Some("t".into()),
                        ..SessionMeta::default()
                    },
                    messages,
                ),
                report: ExtractReport {
                    skipped_lines: 2,
                    ..ExtractReport::default()
                },
            };
            assert_eq!(
                encode_extracted(&extracted).unwrap(),
                serde_json::to_string(&extracted).unwrap(),
                "{count} messages"
            );
        }
    }
}
