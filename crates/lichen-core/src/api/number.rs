//! Context functions: number.

use crate::prelude::*;

/// The context functions that are one host function, their arguments passed
/// on unchanged: written as a table so that the shape of the forwarding
/// function stands in one place.
macro_rules! forwarded {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = $host:ident;)*) => {
        $(
            pub unsafe fn $name<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext $(, $arg: $ty)*) -> $ret {
                H::$host(vm $(, $arg)*)
            }
        )*
    };
}

forwarded! {
    Long_FromInt64_t(v: i64) -> HPy = long_from_i64;
    Long_FromUInt64_t(v: u64) -> HPy = long_from_u64;
    Long_FromSize_t(value: usize) -> HPy = long_from_usize;
    Long_FromSsize_t(value: HPy_ssize_t) -> HPy = long_from_isize;
    Long_AsInt64_t(h: HPy) -> i64 = long_as_i64;
    Long_AsUInt64_t(h: HPy) -> u64 = long_as_u64;
    Long_AsUInt64_tMask(h: HPy) -> u64 = long_as_u64_mask;
    Long_AsSize_t(h: HPy) -> usize = long_as_usize;
    Long_AsSsize_t(h: HPy) -> HPy_ssize_t = long_as_isize;
    Long_AsVoidPtr(h: HPy) -> *mut c_void = long_as_ptr;
    Long_AsDouble(h: HPy) -> f64 = long_as_f64;
    Float_FromDouble(v: f64) -> HPy = float_from_f64;
    Float_AsDouble(h: HPy) -> f64 = float_as_f64;
    Bool_FromBool(v: bool) -> HPy = bool_from_bool;
}

pub unsafe fn Long_FromInt32_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, value: i32) -> HPy {
    H::long_from_i64(vm, value.into())
}

pub unsafe fn Long_FromUInt32_t<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, value: u32) -> HPy {
    H::long_from_u64(vm, value.into())
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
