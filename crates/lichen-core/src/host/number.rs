//! Host operations behind the number context functions.
//!
//! The integer conversions mirror what Python itself accepts: the `*_mask`
//! and signed conversions call `__index__` on non-ints, the others want an
//! int and raise `TypeError` otherwise, and all but the masks raise
//! `OverflowError` when the value does not fit.

use core::ffi::c_void;
use lichen_abi::*;

/// The binary operators of the number protocol, plain and in-place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    MatrixMultiply,
    FloorDivide,
    TrueDivide,
    Remainder,
    Divmod,
    Lshift,
    Rshift,
    And,
    Xor,
    Or,
    InPlaceAdd,
    InPlaceSubtract,
    InPlaceMultiply,
    InPlaceMatrixMultiply,
    InPlaceFloorDivide,
    InPlaceTrueDivide,
    InPlaceRemainder,
    InPlaceLshift,
    InPlaceRshift,
    InPlaceAnd,
    InPlaceXor,
    InPlaceOr,
}

impl BinaryOp {
    /// Every value, in declaration order (`value as i32` is its index).
    pub const ALL: [BinaryOp; 25] = [BinaryOp::Add, BinaryOp::Subtract, BinaryOp::Multiply, BinaryOp::MatrixMultiply, BinaryOp::FloorDivide, BinaryOp::TrueDivide, BinaryOp::Remainder, BinaryOp::Divmod, BinaryOp::Lshift, BinaryOp::Rshift, BinaryOp::And, BinaryOp::Xor, BinaryOp::Or, BinaryOp::InPlaceAdd, BinaryOp::InPlaceSubtract, BinaryOp::InPlaceMultiply, BinaryOp::InPlaceMatrixMultiply, BinaryOp::InPlaceFloorDivide, BinaryOp::InPlaceTrueDivide, BinaryOp::InPlaceRemainder, BinaryOp::InPlaceLshift, BinaryOp::InPlaceRshift, BinaryOp::InPlaceAnd, BinaryOp::InPlaceXor, BinaryOp::InPlaceOr];
}

/// The unary operators and conversions of the number protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Negative,
    Positive,
    Absolute,
    Invert,
    Index,
    Long,
    Float,
}

impl UnaryOp {
    /// Every value, in declaration order (`value as i32` is its index).
    pub const ALL: [UnaryOp; 7] = [UnaryOp::Negative, UnaryOp::Positive, UnaryOp::Absolute, UnaryOp::Invert, UnaryOp::Index, UnaryOp::Long, UnaryOp::Float];
}

/// VM operations for the number area of the ABI.
pub trait NumberHost: super::HostVm {
    fn long_from_i64(vm: Self::Vm<'_>, v: i64) -> HPy;
    fn long_from_u64(vm: Self::Vm<'_>, v: u64) -> HPy;
    /// By default through `long_from_i64` (an `isize` has at most 64 bits
    /// on every target Lichen builds for); a host with a direct path
    /// overrides it.
    fn long_from_isize(vm: Self::Vm<'_>, v: isize) -> HPy {
        Self::long_from_i64(vm, v as i64)
    }
    /// By default through `long_from_u64`, as `long_from_isize`.
    fn long_from_usize(vm: Self::Vm<'_>, v: usize) -> HPy {
        Self::long_from_u64(vm, v as u64)
    }

    fn long_as_i64(vm: Self::Vm<'_>, h: HPy) -> i64;
    fn long_as_u64(vm: Self::Vm<'_>, h: HPy) -> u64;
    fn long_as_u64_mask(vm: Self::Vm<'_>, h: HPy) -> u64;
    fn long_as_isize(vm: Self::Vm<'_>, h: HPy) -> isize;
    fn long_as_usize(vm: Self::Vm<'_>, h: HPy) -> usize;
    /// The address an int holds; negative values are taken modulo 2**bits.
    fn long_as_ptr(vm: Self::Vm<'_>, h: HPy) -> *mut c_void;
    fn long_as_f64(vm: Self::Vm<'_>, h: HPy) -> f64;

    fn float_from_f64(vm: Self::Vm<'_>, v: f64) -> HPy;
    /// Accepts anything with `__float__` or `__index__`.
    fn float_as_f64(vm: Self::Vm<'_>, h: HPy) -> f64;
    fn bool_from_bool(vm: Self::Vm<'_>, v: bool) -> HPy;
    /// Whether the object supports the number protocol; never fails.
    fn number_check(vm: Self::Vm<'_>, h: HPy) -> bool;

    fn binary_op(vm: Self::Vm<'_>, op: BinaryOp, a: HPy, b: HPy) -> HPy;
    fn unary_op(vm: Self::Vm<'_>, op: UnaryOp, a: HPy) -> HPy;
    /// `pow(a, b, c)`, with `c` None for the two-argument form.
    fn power(vm: Self::Vm<'_>, a: HPy, b: HPy, c: HPy, in_place: bool) -> HPy;
}
