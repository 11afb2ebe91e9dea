//! Context functions: number.

use crate::prelude::*;

pub unsafe extern "C-unwind" fn Long_FromInt32_t<H: Host>(_ctx: *mut HPyContext, value: i32) -> HPy {
    H::long_from_i64(value.into())
}

pub unsafe extern "C-unwind" fn Long_FromUInt32_t<H: Host>(_ctx: *mut HPyContext, value: u32) -> HPy {
    H::long_from_u64(value.into())
}

pub unsafe extern "C-unwind" fn Long_FromInt64_t<H: Host>(_ctx: *mut HPyContext, v: i64) -> HPy {
    H::long_from_i64(v)
}

pub unsafe extern "C-unwind" fn Long_FromUInt64_t<H: Host>(_ctx: *mut HPyContext, v: u64) -> HPy {
    H::long_from_u64(v)
}

pub unsafe extern "C-unwind" fn Long_FromSize_t<H: Host>(_ctx: *mut HPyContext, value: usize) -> HPy {
    H::long_from_usize(value)
}

pub unsafe extern "C-unwind" fn Long_FromSsize_t<H: Host>(_ctx: *mut HPyContext, value: HPy_ssize_t) -> HPy {
    H::long_from_isize(value)
}

pub unsafe extern "C-unwind" fn Long_AsInt32_t<H: Host>(_ctx: *mut HPyContext, h: HPy) -> i32 {
    narrow::<H, _, _>(H::long_as_i64(h), "int32_t")
}

pub unsafe extern "C-unwind" fn Long_AsUInt32_t<H: Host>(_ctx: *mut HPyContext, h: HPy) -> u32 {
    narrow::<H, _, _>(H::long_as_u64(h), "uint32_t")
}

/// Wraps modulo 2**32, as C's conversion to `uint32_t` does.
pub unsafe extern "C-unwind" fn Long_AsUInt32_tMask<H: Host>(_ctx: *mut HPyContext, h: HPy) -> u32 {
    H::long_as_u64_mask(h) as u32
}

pub unsafe extern "C-unwind" fn Long_AsInt64_t<H: Host>(_ctx: *mut HPyContext, h: HPy) -> i64 {
    H::long_as_i64(h)
}

pub unsafe extern "C-unwind" fn Long_AsUInt64_t<H: Host>(_ctx: *mut HPyContext, h: HPy) -> u64 {
    H::long_as_u64(h)
}

pub unsafe extern "C-unwind" fn Long_AsUInt64_tMask<H: Host>(_ctx: *mut HPyContext, h: HPy) -> u64 {
    H::long_as_u64_mask(h)
}

pub unsafe extern "C-unwind" fn Long_AsSize_t<H: Host>(_ctx: *mut HPyContext, h: HPy) -> usize {
    H::long_as_usize(h)
}

pub unsafe extern "C-unwind" fn Long_AsSsize_t<H: Host>(_ctx: *mut HPyContext, h: HPy) -> HPy_ssize_t {
    H::long_as_isize(h)
}

pub unsafe extern "C-unwind" fn Long_AsVoidPtr<H: Host>(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    H::long_as_ptr(h)
}

pub unsafe extern "C-unwind" fn Long_AsDouble<H: Host>(_ctx: *mut HPyContext, h: HPy) -> f64 {
    H::long_as_f64(h)
}

pub unsafe extern "C-unwind" fn Float_FromDouble<H: Host>(_ctx: *mut HPyContext, v: f64) -> HPy {
    H::float_from_f64(v)
}

pub unsafe extern "C-unwind" fn Float_AsDouble<H: Host>(_ctx: *mut HPyContext, h: HPy) -> f64 {
    H::float_as_f64(h)
}

pub unsafe extern "C-unwind" fn Bool_FromBool<H: Host>(_ctx: *mut HPyContext, v: bool) -> HPy {
    H::bool_from_bool(v)
}

pub unsafe extern "C-unwind" fn Number_Check<H: Host>(_ctx: *mut HPyContext, h: HPy) -> c_int {
    H::number_check(h) as c_int
}

pub unsafe extern "C-unwind" fn Power<H: Host>(_ctx: *mut HPyContext, h1: HPy, h2: HPy, h3: HPy) -> HPy {
    H::power(h1, h2, h3, false)
}

pub unsafe extern "C-unwind" fn InPlacePower<H: Host>(_ctx: *mut HPyContext, h1: HPy, h2: HPy, h3: HPy) -> HPy {
    H::power(h1, h2, h3, true)
}

/// The context functions that are one binary operator of the host, each
/// named as its `BinaryOp`.
macro_rules! binary_ops {
    ($($op:ident),*) => {
        $(
            pub unsafe extern "C-unwind" fn $op<H: Host>(_ctx: *mut HPyContext, h1: HPy, h2: HPy) -> HPy {
                H::binary_op(BinaryOp::$op, h1, h2)
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
            pub unsafe extern "C-unwind" fn $op<H: Host>(_ctx: *mut HPyContext, h1: HPy) -> HPy {
                H::unary_op(UnaryOp::$op, h1)
            }
        )*
    };
}

unary_ops!(Negative, Positive, Absolute, Invert, Index, Long, Float);

/// Narrows what the host converted to a wider integer type. A failed
/// conversion stays failed; a value that does not fit raises OverflowError
/// like HPy's own fixed-width conversions do.
#[inline]
fn narrow<H: Host, W, N>(wide: W, c_type: &str) -> N
where
    W: ErrorValue + PartialEq,
    N: ErrorValue + TryFrom<W>,
{
    if wide == W::error_value() && H::err_occurred() {
        return N::error_value();
    }
    match N::try_from(wide) {
        Ok(n) => n,
        Err(_) => overflow::<H, N>(c_type),
    }
}

#[cold]
fn overflow<H: Host, N: ErrorValue>(c_type: &str) -> N {
    H::raise(ExcKind::OverflowError, &format!("Python int too large to convert to C {c_type}"));
    N::error_value()
}
