//! Context functions: object.

use crate::prelude::*;

pub unsafe extern "C" fn Dup<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Dup")
}

pub unsafe extern "C" fn Close<H: Host>(ctx: *mut HPyContext, _h: HPy) -> () {
    unsupported::<H, _>(ctx, "Close")
}

pub unsafe extern "C" fn Is<H: Host>(ctx: *mut HPyContext, _obj: HPy, _other: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Is")
}

pub unsafe extern "C" fn Type<H: Host>(ctx: *mut HPyContext, _obj: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Type")
}

pub unsafe extern "C" fn TypeCheck<H: Host>(ctx: *mut HPyContext, _obj: HPy, _type_: HPy) -> c_int {
    unsupported::<H, _>(ctx, "TypeCheck")
}

pub unsafe extern "C" fn IsTrue<H: Host>(ctx: *mut HPyContext, _h: HPy) -> c_int {
    unsupported::<H, _>(ctx, "IsTrue")
}

pub unsafe extern "C" fn Repr<H: Host>(ctx: *mut HPyContext, _obj: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Repr")
}

pub unsafe extern "C" fn Str<H: Host>(ctx: *mut HPyContext, _obj: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Str")
}

pub unsafe extern "C" fn ASCII<H: Host>(ctx: *mut HPyContext, _obj: HPy) -> HPy {
    unsupported::<H, _>(ctx, "ASCII")
}

pub unsafe extern "C" fn Bytes<H: Host>(ctx: *mut HPyContext, _obj: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Bytes")
}

pub unsafe extern "C" fn RichCompare<H: Host>(ctx: *mut HPyContext, _v: HPy, _w: HPy, _op: c_int) -> HPy {
    unsupported::<H, _>(ctx, "RichCompare")
}

pub unsafe extern "C" fn RichCompareBool<H: Host>(ctx: *mut HPyContext, _v: HPy, _w: HPy, _op: c_int) -> c_int {
    unsupported::<H, _>(ctx, "RichCompareBool")
}

pub unsafe extern "C" fn Hash<H: Host>(ctx: *mut HPyContext, _obj: HPy) -> HPy_hash_t {
    unsupported::<H, _>(ctx, "Hash")
}

pub unsafe extern "C" fn GetAttr<H: Host>(ctx: *mut HPyContext, _obj: HPy, _name: HPy) -> HPy {
    unsupported::<H, _>(ctx, "GetAttr")
}

pub unsafe extern "C" fn GetAttr_s<H: Host>(ctx: *mut HPyContext, _obj: HPy, _utf8_name: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "GetAttr_s")
}

pub unsafe extern "C" fn HasAttr<H: Host>(ctx: *mut HPyContext, _obj: HPy, _name: HPy) -> c_int {
    unsupported::<H, _>(ctx, "HasAttr")
}

pub unsafe extern "C" fn HasAttr_s<H: Host>(ctx: *mut HPyContext, _obj: HPy, _utf8_name: *const c_char) -> c_int {
    unsupported::<H, _>(ctx, "HasAttr_s")
}

pub unsafe extern "C" fn SetAttr<H: Host>(ctx: *mut HPyContext, _obj: HPy, _name: HPy, _value: HPy) -> c_int {
    unsupported::<H, _>(ctx, "SetAttr")
}

pub unsafe extern "C" fn SetAttr_s<H: Host>(ctx: *mut HPyContext, _obj: HPy, _utf8_name: *const c_char, _value: HPy) -> c_int {
    unsupported::<H, _>(ctx, "SetAttr_s")
}

pub unsafe extern "C" fn GetItem<H: Host>(ctx: *mut HPyContext, _obj: HPy, _key: HPy) -> HPy {
    unsupported::<H, _>(ctx, "GetItem")
}

pub unsafe extern "C" fn GetItem_i<H: Host>(ctx: *mut HPyContext, _obj: HPy, _idx: HPy_ssize_t) -> HPy {
    unsupported::<H, _>(ctx, "GetItem_i")
}

pub unsafe extern "C" fn GetItem_s<H: Host>(ctx: *mut HPyContext, _obj: HPy, _utf8_key: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "GetItem_s")
}

pub unsafe extern "C" fn Contains<H: Host>(ctx: *mut HPyContext, _container: HPy, _key: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Contains")
}

pub unsafe extern "C" fn SetItem<H: Host>(ctx: *mut HPyContext, _obj: HPy, _key: HPy, _value: HPy) -> c_int {
    unsupported::<H, _>(ctx, "SetItem")
}

pub unsafe extern "C" fn SetItem_i<H: Host>(ctx: *mut HPyContext, _obj: HPy, _idx: HPy_ssize_t, _value: HPy) -> c_int {
    unsupported::<H, _>(ctx, "SetItem_i")
}

pub unsafe extern "C" fn SetItem_s<H: Host>(ctx: *mut HPyContext, _obj: HPy, _utf8_key: *const c_char, _value: HPy) -> c_int {
    unsupported::<H, _>(ctx, "SetItem_s")
}

pub unsafe extern "C" fn DelItem<H: Host>(ctx: *mut HPyContext, _obj: HPy, _key: HPy) -> c_int {
    unsupported::<H, _>(ctx, "DelItem")
}

pub unsafe extern "C" fn DelItem_i<H: Host>(ctx: *mut HPyContext, _obj: HPy, _idx: HPy_ssize_t) -> c_int {
    unsupported::<H, _>(ctx, "DelItem_i")
}

pub unsafe extern "C" fn DelItem_s<H: Host>(ctx: *mut HPyContext, _obj: HPy, _utf8_key: *const c_char) -> c_int {
    unsupported::<H, _>(ctx, "DelItem_s")
}

pub unsafe extern "C" fn Length<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy_ssize_t {
    unsupported::<H, _>(ctx, "Length")
}

pub unsafe extern "C" fn Callable_Check<H: Host>(ctx: *mut HPyContext, _h: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Callable_Check")
}

pub unsafe extern "C" fn CallTupleDict<H: Host>(ctx: *mut HPyContext, _callable: HPy, _args: HPy, _kw: HPy) -> HPy {
    unsupported::<H, _>(ctx, "CallTupleDict")
}

pub unsafe extern "C" fn Call<H: Host>(ctx: *mut HPyContext, _callable: HPy, _args: *const HPy, _nargs: usize, _kwnames: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Call")
}

pub unsafe extern "C" fn CallMethod<H: Host>(ctx: *mut HPyContext, _name: HPy, _args: *const HPy, _nargs: usize, _kwnames: HPy) -> HPy {
    unsupported::<H, _>(ctx, "CallMethod")
}

pub unsafe extern "C" fn Dump<H: Host>(ctx: *mut HPyContext, _h: HPy) -> () {
    unsupported::<H, _>(ctx, "Dump")
}

pub unsafe extern "C" fn FatalError<H: Host>(ctx: *mut HPyContext, _message: *const c_char) -> () {
    unsupported::<H, _>(ctx, "FatalError")
}

pub unsafe extern "C" fn Field_Store<H: Host>(ctx: *mut HPyContext, _target_object: HPy, _target_field: *mut HPyField, _h: HPy) -> () {
    unsupported::<H, _>(ctx, "Field_Store")
}

pub unsafe extern "C" fn Field_Load<H: Host>(ctx: *mut HPyContext, _source_object: HPy, _source_field: HPyField) -> HPy {
    unsupported::<H, _>(ctx, "Field_Load")
}

pub unsafe extern "C" fn Global_Store<H: Host>(ctx: *mut HPyContext, _global: *mut HPyGlobal, _h: HPy) -> () {
    unsupported::<H, _>(ctx, "Global_Store")
}

pub unsafe extern "C" fn Global_Load<H: Host>(ctx: *mut HPyContext, _global: HPyGlobal) -> HPy {
    unsupported::<H, _>(ctx, "Global_Load")
}

pub unsafe extern "C" fn LeavePythonExecution<H: Host>(ctx: *mut HPyContext) -> HPyThreadState {
    unsupported::<H, _>(ctx, "LeavePythonExecution")
}

pub unsafe extern "C" fn ReenterPythonExecution<H: Host>(ctx: *mut HPyContext, _state: HPyThreadState) -> () {
    unsupported::<H, _>(ctx, "ReenterPythonExecution")
}

pub unsafe extern "C" fn Import_ImportModule<H: Host>(ctx: *mut HPyContext, _utf8_name: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "Import_ImportModule")
}

pub unsafe extern "C" fn Compile_s<H: Host>(ctx: *mut HPyContext, _utf8_source: *const c_char, _utf8_filename: *const c_char, _kind: HPy_SourceKind) -> HPy {
    unsupported::<H, _>(ctx, "Compile_s")
}

pub unsafe extern "C" fn EvalCode<H: Host>(ctx: *mut HPyContext, _code: HPy, _globals: HPy, _locals: HPy) -> HPy {
    unsupported::<H, _>(ctx, "EvalCode")
}

pub unsafe extern "C" fn ContextVar_New<H: Host>(ctx: *mut HPyContext, _name: *const c_char, _default_value: HPy) -> HPy {
    unsupported::<H, _>(ctx, "ContextVar_New")
}

pub unsafe extern "C" fn ContextVar_Get<H: Host>(ctx: *mut HPyContext, _context_var: HPy, _default_value: HPy, _result: *mut HPy) -> i32 {
    unsupported::<H, _>(ctx, "ContextVar_Get")
}

pub unsafe extern "C" fn ContextVar_Set<H: Host>(ctx: *mut HPyContext, _context_var: HPy, _value: HPy) -> HPy {
    unsupported::<H, _>(ctx, "ContextVar_Set")
}

pub unsafe extern "C" fn Capsule_New<H: Host>(ctx: *mut HPyContext, _pointer: *mut c_void, _utf8_name: *const c_char, _destructor: *mut HPyCapsule_Destructor) -> HPy {
    unsupported::<H, _>(ctx, "Capsule_New")
}

pub unsafe extern "C" fn Capsule_Get<H: Host>(ctx: *mut HPyContext, _capsule: HPy, _key: _HPyCapsule_key, _utf8_name: *const c_char) -> *mut c_void {
    unsupported::<H, _>(ctx, "Capsule_Get")
}

pub unsafe extern "C" fn Capsule_IsValid<H: Host>(ctx: *mut HPyContext, _capsule: HPy, _utf8_name: *const c_char) -> c_int {
    unsupported::<H, _>(ctx, "Capsule_IsValid")
}

pub unsafe extern "C" fn Capsule_Set<H: Host>(ctx: *mut HPyContext, _capsule: HPy, _key: _HPyCapsule_key, _value: *mut c_void) -> c_int {
    unsupported::<H, _>(ctx, "Capsule_Set")
}

pub unsafe extern "C" fn Slice_Unpack<H: Host>(ctx: *mut HPyContext, _slice: HPy, _start: *mut HPy_ssize_t, _stop: *mut HPy_ssize_t, _step: *mut HPy_ssize_t) -> c_int {
    unsupported::<H, _>(ctx, "Slice_Unpack")
}

pub unsafe extern "C" fn FromPyObject<H: Host>(ctx: *mut HPyContext, _obj: *mut cpy_PyObject) -> HPy {
    unsupported::<H, _>(ctx, "FromPyObject")
}

pub unsafe extern "C" fn AsPyObject<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *mut cpy_PyObject {
    unsupported::<H, _>(ctx, "AsPyObject")
}
