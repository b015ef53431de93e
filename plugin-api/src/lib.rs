//! The plugin API of `handoff`: the transcript model every adapter speaks, the typed operations,
//! and the frozen ABI that carries them across a `cdylib` boundary.
//!
//! An adapter author implements [`Adapter`] and exports it with [`export_adapter!`]; the wrapper
//! here turns it into the ABI (JSON across, panics caught). Built-in adapters go through the very
//! same [`root_module`], so the host has one code path for both; the handshake lets a built-in,
//! compiled into the host's own program, hand its requests and answers over as values instead of
//! JSON ([`in_process`]).
//!
//! Versions: the crate's major version is part of the ABI (`abi_stable` refuses a library of
//! another major), so it stays 1 while the wire stays readable both ways. New fields arrive with
//! serde defaults: a plugin built against an older minor version keeps loading and working, and
//! only its source may need the new field when it builds a struct by name (`tool` in
//! [`Part::ToolCall`] since 1.2; `verified_clients` in [`protocol::AgentInfo`], `store` in
//! [`protocol::SessionSummary`] and `encodings` in [`Hello`] since 1.3).
#![allow(non_local_definitions)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod ffi;
pub mod in_process;
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
use std::sync::{Arc, Once};

use ffi::{AdapterBox, AdapterFfi, AdapterFfi_TO, AdapterModule, AdapterModuleRef};

/// What an agent adapter does. Implement this; the ABI is handled for you.
pub trait Adapter: Send + Sync + 'static {
    /// Short agent name, as typed on the command line (`aider`).
    fn name(&self) -> &str;
    fn info(&self) -> AgentInfo;
    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>>;
    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted>;
    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected>;
    /// The optional methods this adapter answers ([`Remove::NAME`], …), told in the handshake.
    const METHODS: &'static [&'static str] = &[];
    /// Takes back what [`Adapter::inject`] wrote to a database (the host removes files itself).
    /// Adapters that write only files need not implement it.
    fn remove(&self, request: Remove) -> AdapterResult<serde_json::Value> {
        // Adapters written before `remove` was typed answer it through `call`.
        let request = serde_json::to_value(&request)
            .map_err(|e| AdapterError::internal(format!("cannot encode remove: {e}")))?;
        self.call(Remove::NAME, request)
    }
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
        .map(|a| Wrapped(Ok(Arc::new(a))))
        .unwrap_or_else(|message| {
            Wrapped(Err(AdapterError::internal(format!(
                "adapter constructor crashed: {message}"
            ))))
        });
    AdapterFfi_TO::from_value(adapter, TD_Opaque)
}

/// The ABI face of an [`Adapter`]; holds the constructor's failure if it had one. The adapter is
/// shared with the in-process channel when the host takes it ([`in_process`]).
struct Wrapped<A>(Result<Arc<A>, AdapterError>);

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
        let text = request.as_str();
        self.run(
            request,
            |a, r: InjectRequest| {
                check_transcript_version(a.name(), r.transcript.ir_version)?;
                a.inject(r)
            },
            serde_json::to_string,
        )
        .map_err(|error| {
            // A request this plugin cannot read may be a newer transcript: say so.
            match newer_transcript(text) {
                Some(version) => {
                    encode_error(&transcript_too_new(self.name().as_str(), version)).into()
                }
                None => error,
            }
        })
    }

    fn call(&self, method: RStr<'_>, request: RStr<'_>) -> RResult<RString, RString> {
        match method.as_str() {
            Hello::NAME => self.run(
                request,
                |a, host: Hello| {
                    let answer = hello::<A>(a, &host)?;
                    if let Ok(adapter) = &self.0
                        && host.speaks(ENCODING_IN_PROCESS)
                    {
                        in_process::hand_over(Arc::new(in_process::Direct(Arc::clone(adapter))));
                    }
                    Ok(answer)
                },
                serde_json::to_string,
            ),
            Remove::NAME => self.run(request, |a, r: Remove| a.remove(r), serde_json::to_string),
            method => self.run(
                request,
                |a, r: serde_json::Value| a.call(method, r),
                serde_json::to_string,
            ),
        }
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

/// The plugin's side of the handshake: what it speaks, unless the host is outside its range.
fn hello<A: Adapter>(adapter: &A, host: &Hello) -> AdapterResult<Hello> {
    let mine = Hello::current(
        format!("handoff-plugin-api {}", env!("CARGO_PKG_VERSION")),
        A::METHODS,
    );
    match mine.mismatch(host) {
        None => Ok(mine),
        Some(Mismatch::UpgradeSelf) => Err(AdapterError::unsupported(format!(
            "plugin {} is older than {} (protocol {}, transcript {}): upgrade the plugin",
            adapter.name(),
            host.software,
            host.min_protocol,
            host.ir_version
        ))),
        Some(Mismatch::UpgradePeer) => Err(AdapterError::unsupported(format!(
            "plugin {} needs a newer handoff than {} (protocol {} or later): upgrade handoff",
            adapter.name(),
            host.software,
            mine.min_protocol
        ))),
    }
}

fn check_transcript_version(name: &str, version: u32) -> AdapterResult<()> {
    if version > IR_VERSION {
        return Err(transcript_too_new(name, version));
    }
    Ok(())
}

fn transcript_too_new(name: &str, version: u32) -> AdapterError {
    AdapterError::unsupported(format!(
        "plugin {name} reads transcripts up to version {IR_VERSION}, handoff sent version {version}: upgrade the plugin"
    ))
}

/// The version of the transcript inside a request or answer this side could not read, when it
/// is newer than this side knows.
pub fn newer_transcript(json: &str) -> Option<u32> {
    #[derive(serde::Deserialize)]
    struct Versioned {
        transcript: VersionOnly,
    }
    #[derive(serde::Deserialize)]
    struct VersionOnly {
        ir_version: u32,
    }
    let version = serde_json::from_str::<Versioned>(json)
        .ok()?
        .transcript
        .ir_version;
    (version > IR_VERSION).then_some(version)
}

/// Decodes an operation's error string (JSON, or plain text from a foreign adapter).
pub fn decode_error(text: &str) -> AdapterError {
    serde_json::from_str(text).unwrap_or_else(|_| AdapterError::internal(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Quiet;

    impl Adapter for Quiet {
        fn name(&self) -> &str {
            "quiet"
        }
        fn info(&self) -> AgentInfo {
            AgentInfo {
                name: "quiet".into(),
                display_name: "Quiet".into(),
                version: "0".into(),
                capabilities: Capabilities::default(),
                default_home: "/".into(),
                resume_command: None,
                verified_clients: Vec::new(),
            }
        }
        fn list_sessions(&self, _: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
            Ok(Vec::new())
        }
        fn extract(&self, _: ExtractRequest) -> AdapterResult<Extracted> {
            Err(AdapterError::not_found("none"))
        }
        fn inject(&self, _: InjectRequest) -> AdapterResult<Injected> {
            Ok(Injected::default())
        }
    }

    fn say_hello(host: &Hello) -> Result<Hello, AdapterError> {
        let adapter = root_module::<Quiet>().new_adapter()();
        let request = serde_json::to_string(host).unwrap();
        match adapter.call(Hello::NAME.into(), request.as_str().into()) {
            RResult::ROk(answer) => Ok(serde_json::from_str(answer.as_str()).unwrap()),
            RResult::RErr(error) => Err(decode_error(error.as_str())),
        }
    }

    /// The plugin's half of the handshake: it answers a host it can work with, and refuses one
    /// outside its range saying which side to upgrade.
    #[test]
    fn a_plugin_answers_hello_and_refuses_a_host_outside_its_range() {
        let host = Hello::current("handoff test", &[Remove::NAME]);
        let answer = say_hello(&host).unwrap();
        assert_eq!(answer.protocol, PROTOCOL_VERSION);
        assert_eq!(answer.ir_version, IR_VERSION);

        let too_old = Hello {
            protocol: 0,
            min_protocol: 0,
            ..host.clone()
        };
        let error = say_hello(&too_old).unwrap_err();
        assert!(error.message.contains("upgrade handoff"), "{error}");

        let too_new = Hello {
            min_protocol: PROTOCOL_VERSION + 1,
            protocol: PROTOCOL_VERSION + 1,
            ..host
        };
        let error = say_hello(&too_new).unwrap_err();
        assert!(error.message.contains("upgrade the plugin"), "{error}");
    }

    /// A host that speaks the in-process channel takes the adapter over from the `hello` it
    /// says on this thread (the same adapter: its answers are the wrapper's); a host that lists
    /// only JSON, or an older one that lists nothing, is left the ABI.
    #[test]
    fn hello_hands_the_adapter_over_only_to_a_host_that_speaks_in_process() {
        in_process::take_handover();
        say_hello(&Hello::current("handoff test", &[])).unwrap();
        let adapter = in_process::take_handover().expect("handed over");
        assert!(in_process::take_handover().is_none(), "taken once");
        let error = adapter.extract(ExtractRequest::default()).unwrap_err();
        assert_eq!(error, AdapterError::not_found("none"));
        assert!(
            adapter
                .list_sessions(ListRequest::default())
                .unwrap()
                .is_empty()
        );

        for encodings in [vec![ENCODING_JSON.to_owned()], Vec::new()] {
            let host = Hello {
                encodings,
                ..Hello::current("handoff test", &[])
            };
            let answer = say_hello(&host).unwrap();
            assert!(answer.speaks(ENCODING_IN_PROCESS));
            assert!(in_process::take_handover().is_none());
        }
    }

    /// An adapter that panics in process gives an internal error, as it would across the ABI.
    #[test]
    fn a_panic_in_process_is_an_internal_error() {
        #[derive(Default)]
        struct Panicky;
        impl Adapter for Panicky {
            fn name(&self) -> &str {
                "panicky"
            }
            fn info(&self) -> AgentInfo {
                Quiet.info()
            }
            fn list_sessions(&self, _: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
                panic!("listing went wrong")
            }
            fn extract(&self, _: ExtractRequest) -> AdapterResult<Extracted> {
                Quiet.extract(ExtractRequest::default())
            }
            fn inject(&self, _: InjectRequest) -> AdapterResult<Injected> {
                Quiet.inject(InjectRequest {
                    home: None,
                    cwd: String::new(),
                    mode: InjectMode::Plan,
                    transcript: Transcript::new(SessionMeta::default(), Vec::new()),
                })
            }
        }
        let adapter = in_process::Direct(Arc::new(Panicky));
        let error =
            in_process::InProcess::list_sessions(&adapter, ListRequest::default()).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Internal);
        assert!(error.message.contains("listing went wrong"), "{error}");
    }

    /// A transcript newer than the plugin knows is refused by name, not read silently.
    #[test]
    fn a_plugin_refuses_a_newer_transcript() {
        let adapter = root_module::<Quiet>().new_adapter()();
        let mut transcript = Transcript::new(SessionMeta::default(), Vec::new());
        transcript.ir_version = IR_VERSION + 1;
        let request = InjectRequest {
            home: None,
            cwd: "/".into(),
            mode: InjectMode::Plan,
            transcript,
        };
        let request = serde_json::to_string(&request).unwrap();
        let RResult::RErr(error) = adapter.inject(request.as_str().into()) else {
            panic!("a newer transcript was read");
        };
        let error = decode_error(error.as_str());
        assert!(
            error.message.contains("upgrade the plugin")
                && error
                    .message
                    .contains(&format!("version {}", IR_VERSION + 1)),
            "{error}"
        );
        // One this plugin cannot even parse is named the same way.
        let unreadable = request.replacen("\"messages\":[]", "\"messages\":[{\"role\":7}]", 1);
        let RResult::RErr(error) = adapter.inject(unreadable.as_str().into()) else {
            panic!("garbage was read");
        };
        assert!(
            decode_error(error.as_str())
                .message
                .contains("upgrade the plugin")
        );
    }

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
