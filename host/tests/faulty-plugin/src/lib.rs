//! A plugin agent named `faulty` that misbehaves as `HANDOFF_FAULTY_MODE` says, so the host's
//! isolation can be tested through the real loader:
//! `panic-new`, `panic-info`, `panic-list`, `panic-extract`, `panic-inject`, `invalid-json`
//! (answers that are not JSON), `newer-ir` (a transcript version from the future), `hang`
//! (extract never returns), `bad-readback` (inject writes a file that reads back wrong),
//! `write-outside` (inject writes next to its home instead of inside it), `hello-too-new` and
//! `hello-too-old` (a protocol this handoff does not speak), `pre-handshake` (answers `hello` as
//! the API 1.0 wrapper did: an unknown method).
//! Anything else: a well-behaved agent with one session.
#![allow(non_local_definitions)]

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString},
};
use handoff_plugin_api::ffi::{
    AdapterBox, AdapterFfi, AdapterFfi_TO, AdapterModule, AdapterModuleRef,
};
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractRequest, Extracted,
    Hello, InjectRequest, Injected, ListRequest, Message, Part, Role, SessionMeta, SessionSummary,
    Transcript, Written,
};

fn mode() -> String {
    std::env::var("HANDOFF_FAULTY_MODE").unwrap_or_default()
}

#[export_root_module]
pub fn handoff_root_module() -> AdapterModuleRef {
    AdapterModule { new_adapter }.leak_into_prefix()
}

extern "C" fn new_adapter() -> AdapterBox {
    let faulty = || handoff_plugin_api::root_module::<Faulty>().new_adapter()();
    let hello = |protocol| {
        let hello = Hello {
            protocol,
            min_protocol: protocol,
            ..Hello::current("faulty 0", &[])
        };
        RResult::ROk(serde_json::to_string(&hello).unwrap_or_default().into())
    };
    match mode().as_str() {
        "invalid-json" => AdapterFfi_TO::from_value(Garbage, TD_Opaque),
        "hello-too-new" => Greeter::boxed(faulty(), hello(99)),
        "hello-too-old" => Greeter::boxed(faulty(), hello(0)),
        "pre-handshake" => Greeter::boxed(faulty(), unknown_method("hello")),
        _ => faulty(),
    }
}

/// What the API 1.0 wrapper answered to a method it did not know.
fn unknown_method(method: &str) -> RResult<RString, RString> {
    let error = AdapterError::unsupported(format!("faulty: unknown method {method:?}"));
    RResult::RErr(serde_json::to_string(&error).unwrap_or_default().into())
}

/// The well-behaved adapter, but for its answer to `hello`.
struct Greeter {
    inner: AdapterBox,
    hello: RResult<RString, RString>,
}

impl Greeter {
    fn boxed(inner: AdapterBox, hello: RResult<RString, RString>) -> AdapterBox {
        AdapterFfi_TO::from_value(Greeter { inner, hello }, TD_Opaque)
    }
}

impl AdapterFfi for Greeter {
    fn name(&self) -> RString {
        self.inner.name()
    }
    fn info(&self) -> RString {
        self.inner.info()
    }
    fn list_sessions(&self, request: RStr<'_>) -> RResult<RString, RString> {
        self.inner.list_sessions(request)
    }
    fn extract(&self, request: RStr<'_>) -> RResult<RString, RString> {
        self.inner.extract(request)
    }
    fn inject(&self, request: RStr<'_>) -> RResult<RString, RString> {
        self.inner.inject(request)
    }
    fn call(&self, method: RStr<'_>, request: RStr<'_>) -> RResult<RString, RString> {
        match method.as_str() {
            "hello" => self.hello.clone(),
            _ => self.inner.call(method, request),
        }
    }
}

/// Answers text that is not JSON to everything but its name.
struct Garbage;

impl AdapterFfi for Garbage {
    fn name(&self) -> RString {
        "faulty".into()
    }
    fn info(&self) -> RString {
        r#"{"name":"faulty","display_name":"Faulty","version":"0","capabilities":{"list":true,"extract":true,"inject":true},"default_home":"/"}"#.into()
    }
    fn list_sessions(&self, _: RStr<'_>) -> RResult<RString, RString> {
        RResult::ROk("{not json".into())
    }
    fn extract(&self, _: RStr<'_>) -> RResult<RString, RString> {
        RResult::ROk("[1,2".into())
    }
    fn inject(&self, _: RStr<'_>) -> RResult<RString, RString> {
        RResult::ROk("".into())
    }
    fn call(&self, method: RStr<'_>, _: RStr<'_>) -> RResult<RString, RString> {
        // It passes the handshake as a plugin from before it, to show its garbage later.
        match method.as_str() {
            "hello" => unknown_method("hello"),
            _ => RResult::ROk("nope".into()),
        }
    }
}

struct Faulty;

impl Default for Faulty {
    fn default() -> Self {
        if mode() == "panic-new" {
            panic!("faulty: constructor fault");
        }
        Faulty
    }
}

fn transcript(text: &str) -> Transcript {
    Transcript::new(
        SessionMeta {
            id: "faulty-1".into(),
            agent: "faulty".into(),
            title: Some("faulty session".into()),
            ..SessionMeta::default()
        },
        vec![
            Message::new(Role::User, vec![Part::Text { text: text.into() }]),
            Message::new(
                Role::Assistant,
                vec![Part::Text {
                    text: "FAULTY_REPLY".into(),
                }],
            ),
        ],
    )
}

impl Adapter for Faulty {
    fn name(&self) -> &str {
        "faulty"
    }

    fn info(&self) -> AgentInfo {
        if mode() == "panic-info" {
            panic!("faulty: info fault");
        }
        AgentInfo {
            name: "faulty".into(),
            display_name: "Faulty".into(),
            version: "0.0.1".into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            default_home: "/nonexistent".into(),
            resume_command: None,
            verified_clients: Vec::new(),
        }
    }

    fn list_sessions(&self, _request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        if mode() == "panic-list" {
            panic!("faulty: list fault");
        }
        Ok(vec![SessionSummary {
            agent: "faulty".into(),
            session_id: "faulty-1".into(),
            cwd: None,
            title: Some("faulty session".into()),
            messages: 2,
            updated_ms: Some(0),
            created_ms: Some(0),
            path: "/nonexistent/faulty-1".into(),
            cached: false,
            store: None,
        }])
    }

    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        match mode().as_str() {
            "panic-extract" => panic!("faulty: extract fault"),
            "hang" => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            "newer-ir" => {
                let mut transcript = transcript("FAULTY_USER_TEXT");
                transcript.ir_version = 99;
                Ok(Extracted {
                    transcript,
                    report: Default::default(),
                })
            }
            // The session inject wrote reads back without its text.
            "bad-readback" if request.session_id.as_deref() == Some("faulty-written") => {
                Ok(Extracted {
                    transcript: transcript("something else"),
                    report: Default::default(),
                })
            }
            _ => Ok(Extracted {
                transcript: transcript("FAULTY_USER_TEXT"),
                report: Default::default(),
            }),
        }
    }

    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        if mode() == "panic-inject" {
            panic!("faulty: inject fault");
        }
        let home = request
            .home
            .ok_or_else(|| AdapterError::invalid("faulty: set faulty_home in the config"))?;
        let path = if mode() == "write-outside" {
            std::path::Path::new(&home).join("../faulty-outside.json")
        } else {
            std::path::Path::new(&home).join("faulty-written.json")
        };
        let text = serde_json::to_string(&request.transcript)
            .map_err(|e| AdapterError::internal(e.to_string()))?;
        std::fs::write(&path, text).map_err(|e| AdapterError::io(path.display(), e))?;
        Ok(Injected {
            session_id: "faulty-written".into(),
            path: path.display().to_string(),
            resume_command: String::new(),
            written: vec![Written::File {
                path: path.display().to_string(),
            }],
            rendered: None,
            warnings: Vec::new(),
        })
    }
}
