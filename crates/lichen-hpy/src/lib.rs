//! Python extensions in safe Rust, built as HPy 0.9 *universal* binaries
//! (`name.hpy0.so`): one file that runs on every CPython from 3.9 on
//! (through Lichen or HPy's own runtime), on RustPython through
//! `lichen-rustpython`, and on any other host Lichen serves.
//!
//! ```no_run
//! use lichen_hpy::hpymodule;
//!
//! /// A demo module.
//! #[hpymodule]
//! mod demo {
//!     #[pyfunction]
//!     fn add(a: i64, b: i64) -> i64 {
//!         a + b
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! The binary is made by rustc alone (no libpython, no C compiler) and
//! talks to the interpreter only through the `HPyContext` it is handed;
//! the ABI comes from `lichen-abi`, the same declaration Lichen's runtime
//! is generated from. See `docs/rust-guide.md`.
#![deny(unsafe_op_in_unsafe_fn)]

mod args;
mod buffer;
mod class;
mod convert;
mod err;
pub mod exceptions;
mod field;
mod global;
mod glue;
mod object;
mod python;

pub use class::{PyClass, PyRef, PyRefMut, MAX_PAYLOAD_ALIGN};
pub use buffer::BufferElement;
pub use convert::{Bytes, FromPy, IntoPy, IntoPyResult, IntoResult};
pub use err::{ExcType, PyErr, PyExceptionType, PyResult};
pub use field::{Field, Traverse};
pub use global::Global;
pub use lichen_hpy_macros::hpymodule;
pub use object::Obj;
pub use python::Python;

use lichen_abi::HPy_RichCmpOp;

/// The six rich comparisons, each with the value of its `HPy_RichCmpOp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum CompareOp {
    Lt = HPy_RichCmpOp::LT.0,
    Le = HPy_RichCmpOp::LE.0,
    Eq = HPy_RichCmpOp::EQ.0,
    Ne = HPy_RichCmpOp::NE.0,
    Gt = HPy_RichCmpOp::GT.0,
    Ge = HPy_RichCmpOp::GE.0,
}

impl CompareOp {
    /// The operator HPy passed, if it is one of the six.
    pub fn from_raw(op: HPy_RichCmpOp) -> Option<CompareOp> {
        [CompareOp::Lt, CompareOp::Le, CompareOp::Eq, CompareOp::Ne, CompareOp::Gt, CompareOp::Ge]
            .into_iter()
            .find(|c| *c as i32 == op.0)
    }

    /// Whether `ord` (of `self` against the other operand) satisfies it.
    pub fn matches(self, ord: core::cmp::Ordering) -> bool {
        use core::cmp::Ordering::*;
        match self {
            CompareOp::Lt => ord == Less,
            CompareOp::Le => ord != Greater,
            CompareOp::Eq => ord == Equal,
            CompareOp::Ne => ord != Equal,
            CompareOp::Gt => ord == Greater,
            CompareOp::Ge => ord != Less,
        }
    }
}

/// What `use lichen_hpy::prelude::*` brings.
pub mod prelude {
    pub use crate::exceptions::*;
    pub use crate::{
        hpymodule, Bytes, CompareOp, Field, FromPy, Global, IntoPy, Obj, PyClass, PyErr, PyExceptionType, PyRef,
        PyRefMut, PyResult, Python,
    };
}

/// Used by the code `#[hpymodule]` generates; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::args::{receiver, required_obj, CallShape, FnSpec, Parsed};
    pub use crate::buffer::{export as buffer_export, release as buffer_release};
    pub use crate::class::{ClassRet, PyCellLayout, RetViaClass, RetViaIntoPy};
    pub use crate::convert::{RetBool, RetHash, RetLen, RetNew, RetUnit};
    pub use crate::field::{SkipFields, TraverseProbe, VisitFields};
    pub use crate::glue::*;
    pub use lichen_abi::{tpflags, HPyContext, HPyDef, HPyGlobal, HPY_ABI_VERSION, HPY_ABI_VERSION_MINOR, HPyFunc_Signature, HPyMember_FieldType, HPyModuleDef, HPySlot_Slot, HPy_RichCmpOp};
    pub use std::ffi::CStr;
}
