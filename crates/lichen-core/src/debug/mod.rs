//! Debug mode: a context whose handles are checked wrappers around the
//! handles of a universal context, so that misuse (leaks, use after close,
//! double close, closing a constant, a kept context, consumed builders, use
//! of raw data after its handle closed, ...) becomes a report instead of a
//! crash. Host-neutral: it only talks to the wrapped universal context.
//!
//! `handles` is the handle table, `context` the context with its generated
//! wrappers, `overrides` the functions with special semantics and
//! `trampoline` the entry from the VM into the extension.

mod builders;
mod context;
#[cfg(target_os = "linux")]
pub mod fault;
mod handles;
mod overrides;
mod rawdata;
mod released;
mod stack;
mod trampoline;
pub mod view;

pub use builders::{BuilderMisuse, BuilderTable};
pub use context::{debug_context, info, DebugInfo, CTX_CACHE_SIZE};
pub use handles::{
    Closed, HandleInfo, HandleTable, Kind, Misuse, DEFAULT_PROTECTED_RAW_DATA_MAX_SIZE, DEFAULT_QUEUE_MAX_SIZE,
};
pub use rawdata::RawData;
pub use stack::Stack;
pub use trampoline::{call_under, is_debug_context};

/// Turns the report of faults on protected raw data on or off (`_debug`'s
/// `set_raw_data_fault_report`); whether the setting took: the report
/// exists on Linux only.
pub fn set_raw_data_fault_report(enabled: bool) -> bool {
    #[cfg(target_os = "linux")]
    {
        fault::set_enabled(enabled);
        fault::enabled() == enabled
    }
    #[cfg(not(target_os = "linux"))]
    {
        !enabled
    }
}
