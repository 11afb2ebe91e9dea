//! CPython operations behind the object context functions.

use super::*;
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::{cpy_PyObject, HPyCapsule_Destructor, HPyThreadState, HPy_RichCmpOp, HPy_SourceKind, HPy_hash_t, HPy_ssize_t};
use lichen_core::host::{CapsuleField, Conversion, ErrorHost, ExcKind, ObjectHost, ObjectKind};

/// The positional and keyword arguments of a vectorcall whose arguments are
/// handles: since a handle is its object's address, the handle array is
/// already the `PyObject *` array CPython wants.
#[inline(always)]
fn vector(args: *const HPy) -> *const *mut ffi::PyObject {
    args.cast()
}

impl ObjectHost for CPython {
    c_api_calls! {
        fn type_of(py, h) -> HPy = PyObject_Type;
        fn is_true(py, h) -> c_int = PyObject_IsTrue;
        fn hash(py, h) -> HPy_hash_t = PyObject_Hash;
        fn length(py, h) -> HPy_ssize_t = PyObject_Size;
        fn get_attr(py, obj, name) -> HPy = PyObject_GetAttr;
        /// A NULL `value` asks CPython to delete the attribute.
        fn set_attr(py, obj, name, value) -> c_int = PyObject_SetAttr;
        fn get_item(py, obj, key) -> HPy = PyObject_GetItem;
        fn set_item(py, obj, key, value) -> c_int = PyObject_SetItem;
        fn del_item(py, obj, key) -> c_int = PyObject_DelItem;
        fn contains(py, container, key) -> c_int = PySequence_Contains;
        fn import_module(py, name) -> HPy = PyImport_Import;
        fn context_var_set(py, var, value) -> HPy = PyContextVar_Set;
    }

    #[inline]
    fn dup(py: Python<'_>, h: HPy) -> HPy {
        // SAFETY: `py` proves the GIL is held; `h` is NULL or a live handle.
        unsafe { new_ref(py, h2py(h)) }
    }

    #[inline]
    fn close(_py: Python<'_>, h: HPy) {
        // SAFETY: `_py` proves the GIL is held; the caller gives up the reference `h` owns.
        unsafe { ffi::Py_XDECREF(h2py(h)) }
    }

    #[inline]
    fn is(_py: Python<'_>, a: HPy, b: HPy) -> bool {
        h2py(a) == h2py(b)
    }

    #[inline]
    fn is_kind(_py: Python<'_>, h: HPy, kind: ObjectKind) -> bool {
        let obj = h2py(h);
        // SAFETY: `_py` proves the GIL is held; `obj` is a live object.
        unsafe {
            match kind {
                ObjectKind::Callable => ffi::PyCallable_Check(obj) != 0,
                ObjectKind::Tuple => ffi::PyTuple_Check(obj) != 0,
                ObjectKind::Dict => ffi::PyDict_Check(obj) != 0,
            }
        }
    }

    #[inline]
    fn type_check(_py: Python<'_>, obj: HPy, ty: HPy) -> bool {
        // SAFETY: `_py` proves the GIL is held; `obj` is a live handle and
        // the ABI requires `ty` to be a type: `PyObject_TypeCheck`'s answer.
        unsafe { crate::hpytype::type_check(h2py(obj), h2py(ty).cast()) }
    }

    #[inline]
    fn convert(py: Python<'_>, h: HPy, conversion: Conversion) -> HPy {
        let f = match conversion {
            Conversion::Repr => ffi::PyObject_Repr,
            Conversion::Str => ffi::PyObject_Str,
            Conversion::Ascii => ffi::PyObject_ASCII,
            Conversion::Bytes => ffi::PyObject_Bytes,
        };
        call_unary(py, f, h)
    }

    #[inline]
    fn rich_compare(_py: Python<'_>, v: HPy, w: HPy, op: HPy_RichCmpOp) -> HPy {
        // SAFETY: `_py` proves the GIL is held; HPy's operator numbers are CPython's Py_LT..Py_GE.
        unsafe { py2h(ffi::PyObject_RichCompare(h2py(v), h2py(w), op.0)) }
    }

    #[inline]
    fn rich_compare_bool(_py: Python<'_>, v: HPy, w: HPy, op: HPy_RichCmpOp) -> c_int {
        // SAFETY: `_py` proves the GIL is held and `v`, `w` are live handles, so live
        // objects; HPy's operator numbers are CPython's Py_LT..Py_GE.
        unsafe { ffi::PyObject_RichCompareBool(h2py(v), h2py(w), op.0) }
    }

    #[inline]
    unsafe fn key_from_utf8(_py: Python<'_>, utf8: *const c_char) -> HPy {
        // SAFETY: `_py` proves the GIL is held; the ABI requires a NUL-terminated string.
        unsafe { py2h(ffi::PyUnicode_FromString(utf8)) }
    }

    #[inline]
    fn item_at(_py: Python<'_>, obj: HPy, idx: HPy_ssize_t) -> Option<HPy> {
        let o = h2py(obj);
        // SAFETY: `_py` proves the GIL is held; `obj` is a live handle; an exact tuple or
        // list has `size` items at `ob_item`, and the index is checked.
        // `o[idx]` of an exact tuple or list with an int in range is that
        // item: no code of anyone else's can run in between.
        unsafe {
            let (items, size) = if ffi::PyTuple_CheckExact(o) != 0 {
                ((*o.cast::<ffi::PyTupleObject>()).ob_item.as_ptr(), ffi::PyTuple_GET_SIZE(o))
            } else if ffi::PyList_CheckExact(o) != 0 {
                ((*o.cast::<ffi::PyListObject>()).ob_item.cast_const(), ffi::PyList_GET_SIZE(o))
            } else {
                return None;
            };
            let i = if idx < 0 { idx + size } else { idx };
            // Out of range: the generic path raises the IndexError.
            if !(0..size).contains(&i) {
                return None;
            }
            let item = *items.offset(i);
            ffi::Py_INCREF(item);
            Some(py2h(item))
        }
    }

    #[inline]
    fn call_tuple_dict(_py: Python<'_>, callable: HPy, args: HPy, kw: HPy) -> HPy {
        // SAFETY: `_py` proves the GIL is held; the core checked that `args` is NULL or a
        // tuple and `kw` NULL or a dict.
        unsafe {
            if kw.is_null() {
                return py2h(ffi::PyObject_CallObject(h2py(callable), h2py(args)));
            }
            if !args.is_null() {
                return py2h(ffi::PyObject_Call(h2py(callable), h2py(args), h2py(kw)));
            }
            // PyObject_Call wants a tuple even when there is nothing in it.
            let empty = ffi::PyTuple_New(0);
            if empty.is_null() {
                return HPy::NULL;
            }
            let result = ffi::PyObject_Call(h2py(callable), empty, h2py(kw));
            ffi::Py_DECREF(empty);
            py2h(result)
        }
    }

    #[inline]
    unsafe fn vectorcall(_py: Python<'_>, callable: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
        // SAFETY: `_py` proves the GIL is held; `args` holds `nargs` + len(kwnames) live
        // handles. Without PY_VECTORCALL_ARGUMENTS_OFFSET CPython never
        // writes to the array, which belongs to the caller.
        unsafe { py2h(ffi::PyObject_Vectorcall(h2py(callable), vector(args), nargs, h2py(kwnames))) }
    }

    #[inline]
    unsafe fn vectorcall_method(_py: Python<'_>, name: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
        // SAFETY: `_py` proves the GIL is held; `name` is a live str handle and `args`
        // holds `nargs` + len(kwnames) live handles (HPy_CallMethod's
        // contract, passed on by the core), the receiver first: the core
        // checked `nargs` >= 1, which PyObject_VectorcallMethod requires.
        // Without PY_VECTORCALL_ARGUMENTS_OFFSET CPython never writes to the
        // array.
        unsafe { py2h(ffi::PyObject_VectorcallMethod(h2py(name), vector(args), nargs, h2py(kwnames))) }
    }

    fn dump(_py: Python<'_>, h: HPy) {
        // SAFETY: `_py` proves the GIL is held; CPython's dump copes with any pointer
        // that is NULL or a live object.
        unsafe { crate::version::object_dump(h2py(h)) }
    }

    unsafe fn fatal_error(message: *const c_char) -> ! {
        // SAFETY: `message` is NUL-terminated (`fatal_error`'s contract), all
        // `Py_FatalError` reads; it may be called with or without the GIL
        // (it looks for the thread's state itself before dumping tracebacks),
        // as the trait requires.
        unsafe { ffi::Py_FatalError(message) }
    }

    #[inline]
    fn field_store(py: Python<'_>, _owner: HPy, field: &mut HPyField, h: HPy) {
        // SAFETY: `py` proves the GIL is held; a field holds NULL or a reference it owns.
        unsafe { replace_stored(py, &mut field._i, h) }
    }

    #[inline]
    fn field_load(py: Python<'_>, _owner: HPy, field: HPyField) -> HPy {
        // SAFETY: `py` proves the GIL is held; a field keeps its object alive.
        unsafe { new_ref(py, stored(field._i)) }
    }

    #[inline]
    fn global_store(py: Python<'_>, global: &mut HPyGlobal, h: HPy) {
        // SAFETY: `py` proves the GIL is held; a global holds NULL or a reference it owns.
        unsafe { replace_stored(py, &mut global._i, h) }
    }

    #[inline]
    fn global_load(py: Python<'_>, global: HPyGlobal) -> HPy {
        // SAFETY: `py` proves the GIL is held; a global keeps its object alive.
        unsafe { new_ref(py, stored(global._i)) }
    }

    #[inline]
    fn leave(_py: Python<'_>) -> HPyThreadState {
        // SAFETY: `_py` proves the GIL is held, which this releases.
        HPyThreadState { _i: unsafe { ffi::PyEval_SaveThread() } as isize }
    }

    #[inline]
    fn reenter(state: HPyThreadState) {
        // SAFETY: `state` came from `leave` on this thread.
        unsafe { ffi::PyEval_RestoreThread(state._i as *mut ffi::PyThreadState) }
    }

    unsafe fn compile(_py: Python<'_>, source: *const c_char, filename: *const c_char, kind: HPy_SourceKind) -> HPy {
        let start = match kind {
            HPy_SourceKind::Expr => ffi::Py_eval_input,
            HPy_SourceKind::File => ffi::Py_file_input,
            _ => ffi::Py_single_input,
        };
        // SAFETY: `_py` proves the GIL is held; both strings are NUL-terminated.
        unsafe { py2h(ffi::Py_CompileString(source, filename, start)) }
    }

    fn eval_code(py: Python<'_>, code: HPy, globals: HPy, locals: HPy) -> HPy {
        // SAFETY: `py` proves the GIL is held. PyEval_EvalCode trusts its arguments'
        // types, so they are checked first.
        unsafe {
            if ffi::PyCode_Check(h2py(code)) == 0 {
                CPython::raise(py, ExcKind::TypeError, "HPy_EvalCode requires a code object");
                return HPy::NULL;
            }
            if globals.is_null() || ffi::PyDict_Check(h2py(globals)) == 0 {
                CPython::raise(py, ExcKind::TypeError, "HPy_EvalCode requires globals to be a dict");
                return HPy::NULL;
            }
            if !locals.is_null() && ffi::PyMapping_Check(h2py(locals)) == 0 {
                CPython::raise(py, ExcKind::TypeError, "HPy_EvalCode requires locals to be a mapping");
                return HPy::NULL;
            }
            py2h(ffi::PyEval_EvalCode(h2py(code), h2py(globals), h2py(locals)))
        }
    }

    unsafe fn context_var_new(_py: Python<'_>, name: *const c_char, default: HPy) -> HPy {
        // SAFETY: `_py` proves the GIL is held; `name` is NUL-terminated.
        unsafe { py2h(ffi::PyContextVar_New(name, h2py(default))) }
    }

    fn context_var_get(_py: Python<'_>, var: HPy, default: HPy, result: &mut HPy) -> c_int {
        let mut value = core::ptr::null_mut();
        // SAFETY: `_py` proves the GIL is held; PyContextVar_Get type-checks `var`.
        let status = unsafe { ffi::PyContextVar_Get(h2py(var), h2py(default), &mut value) };
        *result = py2h(value);
        status
    }

    unsafe fn capsule_new(_py: Python<'_>, pointer: *mut c_void, name: *const c_char, destructor: Option<&HPyCapsule_Destructor>) -> HPy {
        // SAFETY: `_py` proves the GIL is held; the extension compiled the trampoline as
        // a CPython capsule destructor, which calls its HPy implementation.
        unsafe { py2h(ffi::PyCapsule_New(pointer, name, capsule_destructor(destructor))) }
    }

    unsafe fn capsule_get(_py: Python<'_>, capsule: HPy, field: CapsuleField, name: *const c_char) -> *mut c_void {
        let obj = h2py(capsule);
        // SAFETY: `_py` proves the GIL is held; the PyCapsule functions check their argument.
        unsafe {
            match field {
                CapsuleField::Pointer => ffi::PyCapsule_GetPointer(obj, name),
                CapsuleField::Name => ffi::PyCapsule_GetName(obj) as *mut c_void,
                CapsuleField::Context => ffi::PyCapsule_GetContext(obj),
            }
        }
    }

    unsafe fn capsule_set(_py: Python<'_>, capsule: HPy, field: CapsuleField, value: *mut c_void) -> c_int {
        let obj = h2py(capsule);
        // SAFETY: `_py` proves the GIL is held; the PyCapsule functions check their argument.
        unsafe {
            match field {
                CapsuleField::Pointer => ffi::PyCapsule_SetPointer(obj, value),
                CapsuleField::Name => ffi::PyCapsule_SetName(obj, value as *const c_char),
                CapsuleField::Context => ffi::PyCapsule_SetContext(obj, value),
            }
        }
    }

    fn capsule_set_destructor(_py: Python<'_>, capsule: HPy, destructor: Option<&HPyCapsule_Destructor>) -> c_int {
        // SAFETY: `_py` proves the GIL is held; PyCapsule_SetDestructor checks that
        // `capsule` is a capsule; the destructor is the trampoline the
        // extension compiled as a CPython capsule destructor, which calls
        // its HPy implementation.
        unsafe { ffi::PyCapsule_SetDestructor(h2py(capsule), capsule_destructor(destructor)) }
    }

    unsafe fn capsule_is_valid(_py: Python<'_>, capsule: HPy, name: *const c_char) -> c_int {
        // SAFETY: `_py` proves the GIL is held; PyCapsule_IsValid accepts any object.
        unsafe { ffi::PyCapsule_IsValid(h2py(capsule), name) }
    }

    fn slice_unpack(py: Python<'_>, slice: HPy, start: &mut HPy_ssize_t, stop: &mut HPy_ssize_t, step: &mut HPy_ssize_t) -> c_int {
        let obj = h2py(slice);
        // SAFETY: `py` proves the GIL is held; PySlice_Unpack reads the slice's fields
        // without checking, so its type is checked first.
        unsafe {
            if obj.is_null() || ffi::PySlice_Check(obj) == 0 {
                CPython::raise(py, ExcKind::TypeError, "HPySlice_Unpack requires a slice");
                return -1;
            }
            ffi::PySlice_Unpack(obj, start, stop, step)
        }
    }

    #[inline]
    unsafe fn from_pyobject(py: Python<'_>, obj: *mut cpy_PyObject) -> HPy {
        // SAFETY: `py` proves the GIL is held; `obj` is NULL or a live object.
        unsafe { new_ref(py, obj.cast()) }
    }

    #[inline]
    fn as_pyobject(py: Python<'_>, h: HPy) -> *mut cpy_PyObject {
        // SAFETY: `py` proves the GIL is held; `h` is NULL or a live handle.
        unsafe { new_ref(py, h2py(h))._i as *mut cpy_PyObject }
    }
}

/// The CPython destructor of a capsule: the extension's trampoline, which
/// has exactly the type of a `PyCapsule_Destructor`.
fn capsule_destructor(destructor: Option<&HPyCapsule_Destructor>) -> Option<ffi::PyCapsule_Destructor> {
    let trampoline = destructor?.cpy_trampoline?;
    // SAFETY: HPyCapsule_Destructor's trampoline is declared as
    // `void (*)(PyObject *)` by HPy's headers; the ABI type erases it.
    Some(unsafe { core::mem::transmute::<unsafe extern "C" fn(), unsafe extern "C" fn(*mut ffi::PyObject)>(trampoline) })
}
