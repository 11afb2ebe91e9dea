//! Context functions: types.

use crate::prelude::*;

pub unsafe extern "C" fn Type_FromSpec<H: Host>(ctx: *mut HPyContext, _spec: *mut HPyType_Spec, _params: *mut HPyType_SpecParam) -> HPy {
    unsupported::<H, _>(ctx, "Type_FromSpec")
}

pub unsafe extern "C" fn Type_GenericNew<H: Host>(ctx: *mut HPyContext, _type_: HPy, _args: *const HPy, _nargs: HPy_ssize_t, _kw: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Type_GenericNew")
}

pub unsafe extern "C" fn New<H: Host>(ctx: *mut HPyContext, _h_type: HPy, _data: *mut *mut c_void) -> HPy {
    unsupported::<H, _>(ctx, "New")
}

pub unsafe extern "C" fn AsStruct_Object<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut c_void {
    unsupported::<H, _>(ctx, "AsStruct_Object")
}

pub unsafe extern "C" fn AsStruct_Legacy<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut c_void {
    unsupported::<H, _>(ctx, "AsStruct_Legacy")
}

pub unsafe extern "C" fn AsStruct_Type<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut c_void {
    unsupported::<H, _>(ctx, "AsStruct_Type")
}

pub unsafe extern "C" fn AsStruct_Long<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut c_void {
    unsupported::<H, _>(ctx, "AsStruct_Long")
}

pub unsafe extern "C" fn AsStruct_Float<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut c_void {
    unsupported::<H, _>(ctx, "AsStruct_Float")
}

pub unsafe extern "C" fn AsStruct_Unicode<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut c_void {
    unsupported::<H, _>(ctx, "AsStruct_Unicode")
}

pub unsafe extern "C" fn AsStruct_Tuple<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut c_void {
    unsupported::<H, _>(ctx, "AsStruct_Tuple")
}

pub unsafe extern "C" fn AsStruct_List<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut c_void {
    unsupported::<H, _>(ctx, "AsStruct_List")
}

pub unsafe extern "C" fn Type_GetBuiltinShape<H: Host>(ctx: *mut HPyContext, _h_type: HPy) -> HPyType_BuiltinShape {
    unsupported::<H, _>(ctx, "Type_GetBuiltinShape")
}

pub unsafe extern "C" fn Type_GetName<H: Host>(ctx: *mut HPyContext, _type_: HPy) -> *const c_char {
    unsupported::<H, _>(ctx, "Type_GetName")
}

pub unsafe extern "C" fn Type_IsSubtype<H: Host>(ctx: *mut HPyContext, _sub: HPy, _type_: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Type_IsSubtype")
}

pub unsafe extern "C" fn SetCallFunction<H: Host>(ctx: *mut HPyContext, _h: HPy, _func: *mut HPyCallFunction) -> c_int {
    unsupported::<H, _>(ctx, "SetCallFunction")
}

pub unsafe extern "C" fn CallRealFunctionFromTrampoline<H: Host>(ctx: *mut HPyContext, _sig: HPyFunc_Signature, _func: HPyCFunction, _args: *mut c_void) -> () {
    unsupported::<H, _>(ctx, "CallRealFunctionFromTrampoline")
}
