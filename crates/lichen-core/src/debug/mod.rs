//! Debug mode: a context whose handles are checked wrappers around the
//! handles of a universal context, so that misuse (leaks, use after close,
//! double close, ...) becomes a report instead of a crash. Host-neutral.
//!
//! This module holds the handle table; the generated context wrappers build
//! on it.

mod handles;

pub use handles::{HandleInfo, HandleTable, Misuse, DEFAULT_QUEUE_MAX_SIZE};
