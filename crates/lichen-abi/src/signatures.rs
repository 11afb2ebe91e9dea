//! The one declaration of the HPyFunc signatures and of the slot table.
//!
//! Everything per signature (the `HPyFunc_Signature` values, the
//! implementation function types, the argument blocks trampolines pass to
//! `CallRealFunctionFromTrampoline`) and everything per slot (the
//! `HPySlot_Slot` values, each slot's signature and Python special methods)
//! is generated from the two tables below, in this crate for the runtime and
//! in `lichen-hpy` for the author side (its trampolines and implementation
//! wrappers). A second list anywhere else is a bug.
//!
//! ## `hpyfunc_signatures!`
//!
//! `hpyfunc_signatures!(callback, extra...)` calls
//! `callback! { extra... ; NAME = N, lower, ctx|noctx (param: kind, ...) -> res, block; ... }`
//! with every signature in `HPyFunc_Signature` order:
//!
//! - `lower` is HPy's name of the implementation type (`HPyFunc_lower`);
//! - `ctx` says the implementation takes the context first, `noctx` not;
//! - a parameter `kind` is `obj` (an `HPy`; a `cpy_PyObject *` in the
//!   block), `objs` (a `const HPy *`; `cpy_PyObject *const *`), `buf` (an
//!   `HPy_buffer *`; CPython's `Py_buffer *`) or `[T]` (the type `T` on
//!   both sides);
//! - `res` is `obj`, `[T]` or `none` (C `void`);
//! - `block` is the argument block of the signature's CPython trampoline:
//!   `same` (the parameters, then `result` unless `res` is `none`), `{ (field:
//!   kind, ...) -> res }` when the trampoline takes other arguments than the
//!   implementation, or `none` when HPy defines no block.
//!
//! ## `hpy_slots!`
//!
//! `hpy_slots!(callback, extra...)` calls
//! `callback! { extra... ; name = N, SIGNATURE, [special methods...]; ... }`.
//! The special methods are the Python names a slot stands for on a VM that
//! gives types their slots as methods: for the binary number slots and
//! `sq_repeat` the second is the reflected form (the operands swapped); for
//! `sq_ass_item`/`mp_ass_subscript`, set then delete (a NULL value); for
//! `tp_richcompare`, the six comparisons in `HPy_RichCmpOp` order. Empty for
//! slots that are no method (`tp_traverse`, `tp_destroy`, buffers, module
//! slots).

/// The HPyFunc signatures; see the module documentation for the format.
#[macro_export]
macro_rules! hpyfunc_signatures {
    ($callback:ident $(, $extra:tt)*) => {
        $callback! { $($extra),* ;
            VARARGS = 1, varargs, ctx (self_: obj, args: objs, nargs: [$crate::HPy_ssize_t]) -> obj, same;
            KEYWORDS = 2, keywords, ctx (self_: obj, args: objs, nargsf: [usize], kwnames: obj) -> obj, same;
            NOARGS = 3, noargs, ctx (self_: obj) -> obj, same;
            O = 4, o, ctx (self_: obj, arg: obj) -> obj, same;
            // No trampoline block: the runtime's deallocator calls it with the struct.
            DESTROYFUNC = 5, destroyfunc, noctx (arg0: [*mut ::core::ffi::c_void]) -> none, none;
            GETBUFFERPROC = 6, getbufferproc, ctx (self_: obj, view: buf, flags: [::core::ffi::c_int]) -> [::core::ffi::c_int], same;
            RELEASEBUFFERPROC = 7, releasebufferproc, ctx (self_: obj, view: buf) -> none, same;
            UNARYFUNC = 8, unaryfunc, ctx (arg0: obj) -> obj, same;
            BINARYFUNC = 9, binaryfunc, ctx (arg0: obj, arg1: obj) -> obj, same;
            TERNARYFUNC = 10, ternaryfunc, ctx (arg0: obj, arg1: obj, arg2: obj) -> obj, same;
            INQUIRY = 11, inquiry, ctx (arg0: obj) -> [::core::ffi::c_int], same;
            LENFUNC = 12, lenfunc, ctx (arg0: obj) -> [$crate::HPy_ssize_t], same;
            SSIZEARGFUNC = 13, ssizeargfunc, ctx (arg0: obj, arg1: [$crate::HPy_ssize_t]) -> obj, same;
            SSIZESSIZEARGFUNC = 14, ssizessizeargfunc, ctx (arg0: obj, arg1: [$crate::HPy_ssize_t], arg2: [$crate::HPy_ssize_t]) -> obj, same;
            SSIZEOBJARGPROC = 15, ssizeobjargproc, ctx (arg0: obj, arg1: [$crate::HPy_ssize_t], arg2: obj) -> [::core::ffi::c_int], same;
            SSIZESSIZEOBJARGPROC = 16, ssizessizeobjargproc, ctx (arg0: obj, arg1: [$crate::HPy_ssize_t], arg2: [$crate::HPy_ssize_t], arg3: obj) -> [::core::ffi::c_int], same;
            OBJOBJARGPROC = 17, objobjargproc, ctx (arg0: obj, arg1: obj, arg2: obj) -> [::core::ffi::c_int], same;
            FREEFUNC = 18, freefunc, ctx (arg0: [*mut ::core::ffi::c_void]) -> none, same;
            GETATTRFUNC = 19, getattrfunc, ctx (arg0: obj, arg1: [*mut ::core::ffi::c_char]) -> obj, same;
            GETATTROFUNC = 20, getattrofunc, ctx (arg0: obj, arg1: obj) -> obj, same;
            SETATTRFUNC = 21, setattrfunc, ctx (arg0: obj, arg1: [*mut ::core::ffi::c_char], arg2: obj) -> [::core::ffi::c_int], same;
            SETATTROFUNC = 22, setattrofunc, ctx (arg0: obj, arg1: obj, arg2: obj) -> [::core::ffi::c_int], same;
            REPRFUNC = 23, reprfunc, ctx (arg0: obj) -> obj, same;
            HASHFUNC = 24, hashfunc, ctx (arg0: obj) -> [$crate::HPy_hash_t], same;
            // The trampoline receives `int op`, the same ABI as the c_int newtype.
            RICHCMPFUNC = 25, richcmpfunc, ctx (arg0: obj, arg1: obj, arg2: [$crate::HPy_RichCmpOp]) -> obj, same;
            GETITERFUNC = 26, getiterfunc, ctx (arg0: obj) -> obj, same;
            ITERNEXTFUNC = 27, iternextfunc, ctx (arg0: obj) -> obj, same;
            DESCRGETFUNC = 28, descrgetfunc, ctx (arg0: obj, arg1: obj, arg2: obj) -> obj, same;
            DESCRSETFUNC = 29, descrsetfunc, ctx (arg0: obj, arg1: obj, arg2: obj) -> [::core::ffi::c_int], same;
            // CPython passes an argument tuple and a keyword dict.
            INITPROC = 30, initproc, ctx (self_: obj, args: objs, nargs: [$crate::HPy_ssize_t], kw: obj) -> [::core::ffi::c_int],
                { (self_: obj, args: obj, kw: obj) -> [::core::ffi::c_int] };
            NEWFUNC = 31, newfunc, ctx (self_: obj, args: objs, nargs: [$crate::HPy_ssize_t], kw: obj) -> obj,
                { (self_: obj, args: obj, kw: obj) -> obj };
            GETTER = 32, getter, ctx (arg0: obj, arg1: [*mut ::core::ffi::c_void]) -> obj, same;
            SETTER = 33, setter, ctx (arg0: obj, arg1: obj, arg2: [*mut ::core::ffi::c_void]) -> [::core::ffi::c_int], same;
            OBJOBJPROC = 34, objobjproc, ctx (arg0: obj, arg1: obj) -> [::core::ffi::c_int], same;
            // The implementation sees the object's struct; CPython passes the object and its visitproc.
            TRAVERSEPROC = 35, traverseproc, noctx (object: [*mut ::core::ffi::c_void], visit: [$crate::HPyFunc_visitproc], arg: [*mut ::core::ffi::c_void]) -> [::core::ffi::c_int],
                { (self_: obj, visit: [*mut ::core::ffi::c_void], arg: [*mut ::core::ffi::c_void]) -> [::core::ffi::c_int] };
            DESTRUCTOR = 36, destructor, ctx (arg0: obj) -> none, same;
            // The trampoline passes the capsule itself instead of a block.
            CAPSULE_DESTRUCTOR = 37, capsule_destructor, noctx (name: [*const ::core::ffi::c_char], pointer: [*mut ::core::ffi::c_void], context: [*mut ::core::ffi::c_void]) -> none, none;
            // HPy declares no implementation type for it; HPyCallFunction's is the keywords shape.
            VECTORCALLFUNC = 38, vectorcallfunc, ctx (self_: obj, args: objs, nargsf: [usize], kwnames: obj) -> obj, none;
            // The trampoline also receives the PyModuleDef, which it ignores.
            MOD_CREATE = 39, mod_create, ctx (spec: obj) -> obj, same;
        }
    };
}

/// The slot table; see the module documentation for the format.
#[macro_export]
macro_rules! hpy_slots {
    ($callback:ident $(, $extra:tt)*) => {
        $callback! { $($extra),* ;
            bf_getbuffer = 1, GETBUFFERPROC, [];
            bf_releasebuffer = 2, RELEASEBUFFERPROC, [];
            mp_ass_subscript = 3, OBJOBJARGPROC, ["__setitem__", "__delitem__"];
            mp_length = 4, LENFUNC, ["__len__"];
            mp_subscript = 5, BINARYFUNC, ["__getitem__"];
            nb_absolute = 6, UNARYFUNC, ["__abs__"];
            nb_add = 7, BINARYFUNC, ["__add__", "__radd__"];
            nb_and = 8, BINARYFUNC, ["__and__", "__rand__"];
            nb_bool = 9, INQUIRY, ["__bool__"];
            nb_divmod = 10, BINARYFUNC, ["__divmod__", "__rdivmod__"];
            nb_float = 11, UNARYFUNC, ["__float__"];
            nb_floor_divide = 12, BINARYFUNC, ["__floordiv__", "__rfloordiv__"];
            nb_index = 13, UNARYFUNC, ["__index__"];
            nb_inplace_add = 14, BINARYFUNC, ["__iadd__"];
            nb_inplace_and = 15, BINARYFUNC, ["__iand__"];
            nb_inplace_floor_divide = 16, BINARYFUNC, ["__ifloordiv__"];
            nb_inplace_lshift = 17, BINARYFUNC, ["__ilshift__"];
            nb_inplace_multiply = 18, BINARYFUNC, ["__imul__"];
            nb_inplace_or = 19, BINARYFUNC, ["__ior__"];
            nb_inplace_power = 20, TERNARYFUNC, ["__ipow__"];
            nb_inplace_remainder = 21, BINARYFUNC, ["__imod__"];
            nb_inplace_rshift = 22, BINARYFUNC, ["__irshift__"];
            nb_inplace_subtract = 23, BINARYFUNC, ["__isub__"];
            nb_inplace_true_divide = 24, BINARYFUNC, ["__itruediv__"];
            nb_inplace_xor = 25, BINARYFUNC, ["__ixor__"];
            nb_int = 26, UNARYFUNC, ["__int__"];
            nb_invert = 27, UNARYFUNC, ["__invert__"];
            nb_lshift = 28, BINARYFUNC, ["__lshift__", "__rlshift__"];
            nb_multiply = 29, BINARYFUNC, ["__mul__", "__rmul__"];
            nb_negative = 30, UNARYFUNC, ["__neg__"];
            nb_or = 31, BINARYFUNC, ["__or__", "__ror__"];
            nb_positive = 32, UNARYFUNC, ["__pos__"];
            nb_power = 33, TERNARYFUNC, ["__pow__", "__rpow__"];
            nb_remainder = 34, BINARYFUNC, ["__mod__", "__rmod__"];
            nb_rshift = 35, BINARYFUNC, ["__rshift__", "__rrshift__"];
            nb_subtract = 36, BINARYFUNC, ["__sub__", "__rsub__"];
            nb_true_divide = 37, BINARYFUNC, ["__truediv__", "__rtruediv__"];
            nb_xor = 38, BINARYFUNC, ["__xor__", "__rxor__"];
            sq_ass_item = 39, SSIZEOBJARGPROC, ["__setitem__", "__delitem__"];
            sq_concat = 40, BINARYFUNC, ["__add__"];
            sq_contains = 41, OBJOBJPROC, ["__contains__"];
            sq_inplace_concat = 42, BINARYFUNC, ["__iadd__"];
            sq_inplace_repeat = 43, SSIZEARGFUNC, ["__imul__"];
            sq_item = 44, SSIZEARGFUNC, ["__getitem__"];
            sq_length = 45, LENFUNC, ["__len__"];
            sq_repeat = 46, SSIZEARGFUNC, ["__mul__", "__rmul__"];
            tp_call = 50, KEYWORDS, ["__call__"];
            tp_hash = 59, HASHFUNC, ["__hash__"];
            tp_init = 60, INITPROC, ["__init__"];
            tp_new = 65, NEWFUNC, ["__new__"];
            tp_repr = 66, REPRFUNC, ["__repr__"];
            tp_richcompare = 67, RICHCMPFUNC, ["__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"];
            tp_str = 70, REPRFUNC, ["__str__"];
            tp_traverse = 71, TRAVERSEPROC, [];
            nb_matrix_multiply = 75, BINARYFUNC, ["__matmul__", "__rmatmul__"];
            nb_inplace_matrix_multiply = 76, BINARYFUNC, ["__imatmul__"];
            tp_finalize = 80, DESTRUCTOR, ["__del__"];
            tp_destroy = 1000, DESTROYFUNC, [];
            mod_create = 2000, MOD_CREATE, [];
            mod_exec = 2001, INQUIRY, [];
        }
    };
}

/// A signature's trampoline argument block, from its entry in
/// `hpyfunc_signatures!` (`$name $params -> $r, $block`): calls
/// `$callback!($($extra)* $name $fields -> $result)` with the block's fields
/// and result, which are the implementation's parameters and result for
/// `same` and those written out for `{ ... }`; nothing for `none` (a
/// signature without a block).
#[macro_export]
macro_rules! hpyfunc_block {
    ($callback:ident [$($extra:tt)*] $name:ident $params:tt -> $r:tt, same) => {
        $callback!($($extra)* $name $params -> $r);
    };
    ($callback:ident [$($extra:tt)*] $name:ident $params:tt -> $r:tt, none) => {};
    ($callback:ident [$($extra:tt)*] $name:ident $params:tt -> $r:tt, { $bparams:tt -> $br:tt }) => {
        $callback!($($extra)* $name $bparams -> $br);
    };
}

/// The contents of `{ ... }` when an entry of `hpyfunc_signatures!` is
/// simple, else nothing: called as `if_simple_hpyfunc!(ctx|noctx, block,
/// [kinds...] { ... })` with the entry's parts. Simple: the implementation
/// takes the context, the trampoline's block is `same`, and every parameter
/// is an object or a plain value (no `objs` array, no buffer), so a layer
/// converts it field by field; the others each need code of their own.
#[macro_export]
macro_rules! if_simple_hpyfunc {
    (ctx, same, [] { $($body:tt)* }) => { $($body)* };
    (ctx, same, [objs $($k:tt)*] $body:tt) => {};
    (ctx, same, [buf $($k:tt)*] $body:tt) => {};
    (ctx, same, [$k0:tt $($k:tt)*] $body:tt) => { $crate::if_simple_hpyfunc! { ctx, same, [$($k)*] $body } };
    ($ctx:ident, $block:tt, $kinds:tt $body:tt) => {};
}

/// The Rust type of a parameter kind in an implementation's signature.
#[macro_export]
#[doc(hidden)]
macro_rules! hpyfunc_impl_ty {
    (obj) => { $crate::HPy };
    (objs) => { *const $crate::HPy };
    (buf) => { *mut $crate::HPy_buffer };
    (none) => { () };
    ([$t:ty]) => { $t };
}

/// The Rust type of a parameter kind in a trampoline's argument block.
#[macro_export]
#[doc(hidden)]
macro_rules! hpyfunc_cpy_ty {
    (obj) => { *mut $crate::cpy_PyObject };
    (objs) => { *const *mut $crate::cpy_PyObject };
    (buf) => { *mut ::core::ffi::c_void };
    (none) => { () };
    ([$t:ty]) => { $t };
}

/// Rust spellings of HPy's implementation types (`HPyFunc_noargs`, ...),
/// generated from [`hpyfunc_signatures!`].
pub mod func_types {
    macro_rules! impl_types {
        (@fn ctx ($($k:tt)*) -> $r:tt) => {
            unsafe extern "C" fn(*mut $crate::HPyContext $(, $crate::hpyfunc_impl_ty!($k))*) -> $crate::hpyfunc_impl_ty!($r)
        };
        (@fn noctx ($($k:tt)*) -> $r:tt) => {
            unsafe extern "C" fn($($crate::hpyfunc_impl_ty!($k)),*) -> $crate::hpyfunc_impl_ty!($r)
        };
        (; $($name:ident = $n:literal, $lower:ident, $ctx:ident ($($p:ident : $k:tt),*) -> $r:tt, $block:tt;)*) => {$(
            #[doc = concat!("`HPyFunc_", stringify!($lower), "`: the implementation type of `HPyFunc_", stringify!($name), "`.")]
            pub type $lower = impl_types!(@fn $ctx ($($k)*) -> $r);
        )*};
    }
    crate::hpyfunc_signatures!(impl_types);
}
