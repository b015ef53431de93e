//! The frozen ABI. Every use of `abi_stable` lives here (and in the host's loader), so the crate can
//! be swapped without touching adapters.
//!
//! Layout rules: the root module and the trait are prefix types whose last prefix field is fixed.
//! New operations go through [`AdapterFfi::call`] with a method name and JSON, never a new field.

use abi_stable::{
    StableAbi, declare_root_module_statics,
    library::RootModule,
    package_version_strings, sabi_trait,
    sabi_types::VersionStrings,
    std_types::{RBox, RResult, RStr, RString},
};

/// Every operation takes JSON and answers JSON (`Ok`) or an [`crate::AdapterError`] as JSON (`Err`).
#[sabi_trait]
pub trait AdapterFfi: Send + Sync {
    /// Short agent name, as on the command line.
    fn name(&self) -> RString;
    /// [`crate::AgentInfo`] as JSON.
    fn info(&self) -> RString;
    /// [`crate::ListRequest`] → `Vec<`[`crate::SessionSummary`]`>`.
    fn list_sessions(&self, request: RStr<'_>) -> RResult<RString, RString>;
    /// [`crate::ExtractRequest`] → [`crate::Extracted`].
    fn extract(&self, request: RStr<'_>) -> RResult<RString, RString>;
    /// [`crate::InjectRequest`] → [`crate::Injected`].
    fn inject(&self, request: RStr<'_>) -> RResult<RString, RString>;
    /// Any later operation, by name.
    #[sabi(last_prefix_field)]
    fn call(&self, method: RStr<'_>, request: RStr<'_>) -> RResult<RString, RString>;
}

/// An adapter behind the ABI.
pub type AdapterBox = AdapterFfi_TO<'static, RBox<()>>;

/// The root module every adapter library exports (built-ins expose it as a value).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = AdapterModuleRef)))]
#[sabi(missing_field(panic))]
pub struct AdapterModule {
    #[sabi(last_prefix_field)]
    pub new_adapter: extern "C" fn() -> AdapterBox,
}

impl RootModule for AdapterModuleRef {
    declare_root_module_statics! {AdapterModuleRef}
    const BASE_NAME: &'static str = "handoff_adapter";
    const NAME: &'static str = "handoff_adapter";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// Loads one adapter library. Each file gets its own module: `RootModule::load_from_file` would
/// cache a single module per type for the whole process.
///
/// # Safety
/// Loading a library runs its initialisers; only load files the user has put in their plugin dir.
pub fn load_module(path: &std::path::Path) -> Result<AdapterModuleRef, String> {
    let header = abi_stable::library::lib_header_from_path(path).map_err(|e| e.to_string())?;
    header
        .init_root_module::<AdapterModuleRef>()
        .map_err(|e| e.to_string())
}

/// Exports `$adapter` (a type implementing [`crate::Adapter`] and `Default`) as the root module
/// of a `cdylib` plugin. Plugins need `abi_stable` as a dependency for this macro's expansion.
#[macro_export]
macro_rules! export_adapter {
    ($adapter:ty) => {
        #[::abi_stable::export_root_module]
        pub fn handoff_root_module() -> $crate::ffi::AdapterModuleRef {
            $crate::root_module::<$adapter>()
        }
    };
}
