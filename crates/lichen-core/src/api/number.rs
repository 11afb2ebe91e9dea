//! Context functions: number.

use crate::prelude::*;

pub unsafe extern "C" fn Long_FromInt32_t<H: Host>(ctx: *mut HPyContext, _value: i32) -> HPy {
    unsupported::<H, _>(ctx, "Long_FromInt32_t")
}

pub unsafe extern "C" fn Long_FromUInt32_t<H: Host>(ctx: *mut HPyContext, _value: u32) -> HPy {
    unsupported::<H, _>(ctx, "Long_FromUInt32_t")
}

pub unsafe extern "C" fn Long_FromInt64_t<H: Host>(ctx: *mut HPyContext, _v: i64) -> HPy {
    unsupported::<H, _>(ctx, "Long_FromInt64_t")
}

pub unsafe extern "C" fn Long_FromUInt64_t<H: Host>(ctx: *mut HPyContext, _v: u64) -> HPy {
    unsupported::<H, _>(ctx, "Long_FromUInt64_t")
}

pub unsafe extern "C" fn Long_FromSize_t<H: Host>(ctx: *mut HPyContext, _value: usize) -> HPy {
    unsupported::<H, _>(ctx, "Long_FromSize_t")
}

pub unsafe extern "C" fn Long_FromSsize_t<H: Host>(ctx: *mut HPyContext, _value: HPy_ssize_t) -> HPy {
    unsupported::<H, _>(ctx, "Long_FromSsize_t")
}

pub unsafe extern "C" fn Long_AsInt32_t<H: Host>(ctx: *mut HPyContext, _h: HPy) -> i32 {
    unsupported::<H, _>(ctx, "Long_AsInt32_t")
}

pub unsafe extern "C" fn Long_AsUInt32_t<H: Host>(ctx: *mut HPyContext, _h: HPy) -> u32 {
    unsupported::<H, _>(ctx, "Long_AsUInt32_t")
}

pub unsafe extern "C" fn Long_AsUInt32_tMask<H: Host>(ctx: *mut HPyContext, _h: HPy) -> u32 {
    unsupported::<H, _>(ctx, "Long_AsUInt32_tMask")
}

pub unsafe extern "C" fn Long_AsInt64_t<H: Host>(ctx: *mut HPyContext, _h: HPy) -> i64 {
    unsupported::<H, _>(ctx, "Long_AsInt64_t")
}

pub unsafe extern "C" fn Long_AsUInt64_t<H: Host>(ctx: *mut HPyContext, _h: HPy) -> u64 {
    unsupported::<H, _>(ctx, "Long_AsUInt64_t")
}

pub unsafe extern "C" fn Long_AsUInt64_tMask<H: Host>(ctx: *mut HPyContext, _h: HPy) -> u64 {
    unsupported::<H, _>(ctx, "Long_AsUInt64_tMask")
}

pub unsafe extern "C" fn Long_AsSize_t<H: Host>(ctx: *mut HPyContext, _h: HPy) -> usize {
    unsupported::<H, _>(ctx, "Long_AsSize_t")
}

pub unsafe extern "C" fn Long_AsSsize_t<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy_ssize_t {
    unsupported::<H, _>(ctx, "Long_AsSsize_t")
}

pub unsafe extern "C" fn Long_AsVoidPtr<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut c_void {
    unsupported::<H, _>(ctx, "Long_AsVoidPtr")
}

pub unsafe extern "C" fn Long_AsDouble<H: Host>(ctx: *mut HPyContext, _h: HPy) -> f64 {
    unsupported::<H, _>(ctx, "Long_AsDouble")
}

pub unsafe extern "C" fn Float_FromDouble<H: Host>(ctx: *mut HPyContext, _v: f64) -> HPy {
    unsupported::<H, _>(ctx, "Float_FromDouble")
}

pub unsafe extern "C" fn Float_AsDouble<H: Host>(ctx: *mut HPyContext, _h: HPy) -> f64 {
    unsupported::<H, _>(ctx, "Float_AsDouble")
}

pub unsafe extern "C" fn Bool_FromBool<H: Host>(ctx: *mut HPyContext, _v: bool) -> HPy {
    unsupported::<H, _>(ctx, "Bool_FromBool")
}

pub unsafe extern "C" fn Number_Check<H: Host>(ctx: *mut HPyContext, _h: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Number_Check")
}

pub unsafe extern "C" fn Add<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Add")
}

pub unsafe extern "C" fn Subtract<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Subtract")
}

pub unsafe extern "C" fn Multiply<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Multiply")
}

pub unsafe extern "C" fn MatrixMultiply<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "MatrixMultiply")
}

pub unsafe extern "C" fn FloorDivide<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "FloorDivide")
}

pub unsafe extern "C" fn TrueDivide<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "TrueDivide")
}

pub unsafe extern "C" fn Remainder<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Remainder")
}

pub unsafe extern "C" fn Divmod<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Divmod")
}

pub unsafe extern "C" fn Power<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy, _h3: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Power")
}

pub unsafe extern "C" fn Negative<H: Host>(ctx: *mut HPyContext, _h1: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Negative")
}

pub unsafe extern "C" fn Positive<H: Host>(ctx: *mut HPyContext, _h1: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Positive")
}

pub unsafe extern "C" fn Absolute<H: Host>(ctx: *mut HPyContext, _h1: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Absolute")
}

pub unsafe extern "C" fn Invert<H: Host>(ctx: *mut HPyContext, _h1: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Invert")
}

pub unsafe extern "C" fn Lshift<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Lshift")
}

pub unsafe extern "C" fn Rshift<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Rshift")
}

pub unsafe extern "C" fn And<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "And")
}

pub unsafe extern "C" fn Xor<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Xor")
}

pub unsafe extern "C" fn Or<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Or")
}

pub unsafe extern "C" fn Index<H: Host>(ctx: *mut HPyContext, _h1: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Index")
}

pub unsafe extern "C" fn Long<H: Host>(ctx: *mut HPyContext, _h1: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Long")
}

pub unsafe extern "C" fn Float<H: Host>(ctx: *mut HPyContext, _h1: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Float")
}

pub unsafe extern "C" fn InPlaceAdd<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceAdd")
}

pub unsafe extern "C" fn InPlaceSubtract<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceSubtract")
}

pub unsafe extern "C" fn InPlaceMultiply<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceMultiply")
}

pub unsafe extern "C" fn InPlaceMatrixMultiply<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceMatrixMultiply")
}

pub unsafe extern "C" fn InPlaceFloorDivide<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceFloorDivide")
}

pub unsafe extern "C" fn InPlaceTrueDivide<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceTrueDivide")
}

pub unsafe extern "C" fn InPlaceRemainder<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceRemainder")
}

pub unsafe extern "C" fn InPlacePower<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy, _h3: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlacePower")
}

pub unsafe extern "C" fn InPlaceLshift<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceLshift")
}

pub unsafe extern "C" fn InPlaceRshift<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceRshift")
}

pub unsafe extern "C" fn InPlaceAnd<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceAnd")
}

pub unsafe extern "C" fn InPlaceXor<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceXor")
}

pub unsafe extern "C" fn InPlaceOr<H: Host>(ctx: *mut HPyContext, _h1: HPy, _h2: HPy) -> HPy {
    unsupported::<H, _>(ctx, "InPlaceOr")
}
