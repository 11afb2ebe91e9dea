//! The argument blocks that trampolines compiled into an extension pass to
//! `ctx_CallRealFunctionFromTrampoline`, one per `HPyFunc_Signature`.
//! They carry CPython objects, so only a CPython host ever reads them.

use crate::{cpy_PyObject, HPy_RichCmpOp, HPy_hash_t, HPy_ssize_t};
use core::ffi::{c_char, c_int, c_void};

type Obj = *mut cpy_PyObject;

macro_rules! arg_blocks {
    ($($name:ident { $($field:ident : $ty:ty),* $(,)? })*) => {$(
        #[repr(C)]
        pub struct $name { $(pub $field: $ty),* }
    )*};
}

arg_blocks! {
    VARARGS { self_: Obj, args: *const Obj, nargs: HPy_ssize_t, result: Obj }
    KEYWORDS { self_: Obj, args: *const Obj, nargsf: usize, kwnames: Obj, result: Obj }
    INITPROC { self_: Obj, args: Obj, kw: Obj, result: c_int }
    NEWFUNC { self_: Obj, args: Obj, kw: Obj, result: Obj }
    RICHCMPFUNC { arg0: Obj, arg1: Obj, arg2: HPy_RichCmpOp, result: Obj }
    GETBUFFERPROC { self_: Obj, view: *mut c_void, flags: c_int, result: c_int }
    RELEASEBUFFERPROC { self_: Obj, view: *mut c_void }
    TRAVERSEPROC { self_: Obj, visit: *mut c_void, arg: *mut c_void, result: c_int }
    NOARGS { self_: Obj, result: Obj }
    O { self_: Obj, arg: Obj, result: Obj }
    UNARYFUNC { arg0: Obj, result: Obj }
    BINARYFUNC { arg0: Obj, arg1: Obj, result: Obj }
    TERNARYFUNC { arg0: Obj, arg1: Obj, arg2: Obj, result: Obj }
    INQUIRY { arg0: Obj, result: c_int }
    LENFUNC { arg0: Obj, result: HPy_ssize_t }
    SSIZEARGFUNC { arg0: Obj, arg1: HPy_ssize_t, result: Obj }
    SSIZESSIZEARGFUNC { arg0: Obj, arg1: HPy_ssize_t, arg2: HPy_ssize_t, result: Obj }
    SSIZEOBJARGPROC { arg0: Obj, arg1: HPy_ssize_t, arg2: Obj, result: c_int }
    SSIZESSIZEOBJARGPROC { arg0: Obj, arg1: HPy_ssize_t, arg2: HPy_ssize_t, arg3: Obj, result: c_int }
    OBJOBJARGPROC { arg0: Obj, arg1: Obj, arg2: Obj, result: c_int }
    FREEFUNC { arg0: *mut c_void }
    GETATTRFUNC { arg0: Obj, arg1: *mut c_char, result: Obj }
    GETATTROFUNC { arg0: Obj, arg1: Obj, result: Obj }
    SETATTRFUNC { arg0: Obj, arg1: *mut c_char, arg2: Obj, result: c_int }
    SETATTROFUNC { arg0: Obj, arg1: Obj, arg2: Obj, result: c_int }
    REPRFUNC { arg0: Obj, result: Obj }
    HASHFUNC { arg0: Obj, result: HPy_hash_t }
    GETITERFUNC { arg0: Obj, result: Obj }
    ITERNEXTFUNC { arg0: Obj, result: Obj }
    DESCRGETFUNC { arg0: Obj, arg1: Obj, arg2: Obj, result: Obj }
    DESCRSETFUNC { arg0: Obj, arg1: Obj, arg2: Obj, result: c_int }
    GETTER { arg0: Obj, arg1: *mut c_void, result: Obj }
    SETTER { arg0: Obj, arg1: Obj, arg2: *mut c_void, result: c_int }
    OBJOBJPROC { arg0: Obj, arg1: Obj, result: c_int }
    DESTRUCTOR { arg0: Obj }
    MOD_CREATE { spec: Obj, result: Obj }
}
