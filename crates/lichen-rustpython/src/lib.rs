//! Lichen's RustPython host: runs HPy universal extensions on RustPython.
//!
//! [`host::RustPython`] implements the core's `Host` trait over RustPython
//! objects; [`module`] turns an extension's module definition into a
//! RustPython module whose functions call the HPy implementations directly;
//! [`loader`] finds extension files on `sys.path` and imports them;
//! [`buffer`] serves the buffer protocol of HPy types.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod bases;
pub mod buffer;
pub mod capsule;
pub mod context;
pub mod debug_module;
pub mod host;
pub mod loader;
pub mod member;
pub mod module;
pub mod trace_module;
pub mod typeobj;
