//! Context functions: number.

use crate::prelude::*;

pub unsafe fn Long_FromInt32_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, value: i32) -> HPy {
    H::long_from_i64(vm, value.into())
}

pub unsafe fn Long_FromUInt32_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, value: u32) -> HPy {
    H::long_from_u64(vm, value.into())
}

pub unsafe fn Long_FromInt64_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, v: i64) -> HPy {
    H::long_from_i64(vm, v)
}

pub unsafe fn Long_FromUInt64_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, v: u64) -> HPy {
    H::long_from_u64(vm, v)
}

pub unsafe fn Long_FromSize_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, value: usize) -> HPy {
    H::long_from_usize(vm, value)
}

pub unsafe fn Long_FromSsize_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, value: HPy_ssize_t) -> HPy {
    H::long_from_isize(vm, value)
}

pub unsafe fn Long_AsInt32_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> i32 {
    narrow::<H, _, _>(vm, H::long_as_i64(vm, h), "int32_t")
}

pub unsafe fn Long_AsUInt32_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> u32 {
    narrow::<H, _, _>(vm, H::long_as_u64(vm, h), "uint32_t")
}

/// Wraps modulo 2**32, as C's conversion to `uint32_t` does.
pub unsafe fn Long_AsUInt32_tMask<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> u32 {
    H::long_as_u64_mask(vm, h) as u32
}

pub unsafe fn Long_AsInt64_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> i64 {
    H::long_as_i64(vm, h)
}

pub unsafe fn Long_AsUInt64_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> u64 {
    H::long_as_u64(vm, h)
}

pub unsafe fn Long_AsUInt64_tMask<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> u64 {
    H::long_as_u64_mask(vm, h)
}

pub unsafe fn Long_AsSize_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> usize {
    H::long_as_usize(vm, h)
}

pub unsafe fn Long_AsSsize_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy_ssize_t {
    H::long_as_isize(vm, h)
}

pub unsafe fn Long_AsVoidPtr<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    H::long_as_ptr(vm, h)
}

pub unsafe fn Long_AsDouble<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> f64 {
    H::long_as_f64(vm, h)
}

pub unsafe fn Float_FromDouble<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, v: f64) -> HPy {
    H::float_from_f64(vm, v)
}

pub unsafe fn Float_AsDouble<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> f64 {
    H::float_as_f64(vm, h)
}

pub unsafe fn Bool_FromBool<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, v: bool) -> HPy {
    H::bool_from_bool(vm, v)
}

pub unsafe fn Number_Check<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> c_int {
    H::number_check(vm, h) as c_int
}

pub unsafe fn Power<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h1: HPy, h2: HPy, h3: HPy) -> HPy {
    H::power(vm, h1, h2, h3, false)
}

pub unsafe fn InPlacePower<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h1: HPy, h2: HPy, h3: HPy) -> HPy {
    H::power(vm, h1, h2, h3, true)
}

/// The context functions that are one binary operator of the host, each
/// named as its `BinaryOp`.
macro_rules! binary_ops {
    ($($op:ident),*) => {
        $(
            pub unsafe fn $op<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h1: HPy, h2: HPy) -> HPy {
                H::binary_op(vm, BinaryOp::$op, h1, h2)
            }
        )*
    };
}

binary_ops!(
    Add, Subtract, Multiply, MatrixMultiply, FloorDivide, TrueDivide, Remainder, Divmod, Lshift,
    Rshift, And, Xor, Or, InPlaceAdd, InPlaceSubtract, InPlaceMultiply, InPlaceMatrixMultiply,
    InPlaceFloorDivide, InPlaceTrueDivide, InPlaceRemainder, InPlaceLshift, InPlaceRshift,
    InPlaceAnd, InPlaceXor, InPlaceOr
);

/// The context functions that are one unary operator of the host, each
/// named as its `UnaryOp`.
macro_rules! unary_ops {
    ($($op:ident),*) => {
        $(
            pub unsafe fn $op<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h1: HPy) -> HPy {
                H::unary_op(vm, UnaryOp::$op, h1)
            }
        )*
    };
}

unary_ops!(Negative, Positive, Absolute, Invert, Index, Long, Float);

/// Narrows what the host converted to a wider integer type. A failed
/// conversion stays failed; a value that does not fit raises OverflowError
/// like HPy's own fixed-width conversions do.
#[inline]
fn narrow<H: Host, W, N>(vm: H::Vm<'_>, wide: W, c_type: &str) -> N
where
    W: ErrorValue + PartialEq,
    N: ErrorValue + TryFrom<W>,
{
    if wide == W::error_value() && H::err_occurred(vm) {
        return N::error_value();
    }
    match N::try_from(wide) {
        Ok(n) => n,
        Err(_) => overflow::<H, N>(vm, c_type),
    }
}

#[cold]
fn overflow<H: Host, N: ErrorValue>(vm: H::Vm<'_>, c_type: &str) -> N {
    H::raise(vm, ExcKind::OverflowError, &format!("Python int too large to convert to C {c_type}"));
    N::error_value()
}
