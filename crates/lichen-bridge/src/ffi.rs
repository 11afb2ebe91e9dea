//! The part of CPython 3.11's C API the bridge uses, resolved with `dlsym`
//! from the `libpython3.11` it opened: function pointers in [`Api`], the
//! addresses of a few static objects and types in [`Statics`]. Nothing is
//! linked against libpython, so `lichen-rustpython` starts (and gives an
//! `ImportError` on the first C-extension import) where there is none.
//!
//! The object layout read directly: `ob_refcnt` and `ob_type` at offsets
//! 0 and 8 of every object (64-bit, release build), the same in every
//! CPython 3.x; and, for the hot path of converting values from CPython
//! ([`crate::convert`]), the layouts of CPython 3.11's exact `int`,
//! `float`, `str`, `list` and `tuple` (see [`Layout`]), used only once a
//! check at start-up found them where 3.11's headers put them.

use libloading::os::unix::Library;
use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

/// A CPython object; only ever handled by pointer.
#[repr(C)]
pub struct PyObject {
    pub ob_refcnt: isize,
    pub ob_type: *mut PyObject,
}

pub type Obj = *mut PyObject;

/// `PyMethodDef`.
#[repr(C)]
pub struct PyMethodDef {
    pub ml_name: *const c_char,
    pub ml_meth: *const c_void,
    pub ml_flags: c_int,
    pub ml_doc: *const c_char,
}

// SAFETY: method definitions are immutable statics of string literals and
// function pointers; CPython only reads them.
unsafe impl Sync for PyMethodDef {}

/// CPython 3.11's `Py_buffer`.
#[repr(C)]
pub struct PyBufferView {
    pub buf: *mut c_void,
    pub obj: Obj,
    pub len: isize,
    pub itemsize: isize,
    pub readonly: c_int,
    pub ndim: c_int,
    pub format: *mut c_char,
    pub shape: *mut isize,
    pub strides: *mut isize,
    pub suboffsets: *mut isize,
    pub internal: *mut c_void,
}

/// `PyBUF_FORMAT | PyBUF_ND`: a C-contiguous buffer with its format and
/// shape.
pub const PY_BUF_CONTIG_FORMAT: c_int = PY_BUF_FORMAT | PY_BUF_ND;
pub const PY_BF_GETBUFFER: c_int = 1;
pub const PY_BF_RELEASEBUFFER: c_int = 2;
pub const PY_BUF_WRITABLE: c_int = 0x0001;
pub const PY_BUF_FORMAT: c_int = 0x0004;
pub const PY_BUF_ND: c_int = 0x0008;
pub const PY_BUF_STRIDES: c_int = 0x0010 | PY_BUF_ND;

/// `PyType_Slot`.
#[repr(C)]
pub struct PyTypeSlot {
    pub slot: c_int,
    pub pfunc: *mut c_void,
}

/// `PyType_Spec`.
#[repr(C)]
pub struct PyTypeSpec {
    pub name: *const c_char,
    pub basicsize: c_int,
    pub itemsize: c_int,
    pub flags: c_uint,
    pub slots: *mut PyTypeSlot,
}

pub const METH_VARARGS: c_int = 0x1;
pub const METH_O: c_int = 0x8;
pub const PY_TPFLAGS_BASETYPE: c_uint = 1 << 10;
pub const PY_TPFLAGS_HAVE_VERSION_TAG: c_uint = 1 << 18;
pub const PY_TPFLAGS_LONG_SUBCLASS: c_ulong = 1 << 24;
pub const PY_TPFLAGS_TUPLE_SUBCLASS: c_ulong = 1 << 26;
pub const PY_TPFLAGS_BYTES_SUBCLASS: c_ulong = 1 << 27;
pub const PY_TPFLAGS_DICT_SUBCLASS: c_ulong = 1 << 29;
pub const PY_TPFLAGS_UNICODE_SUBCLASS: c_ulong = 1 << 28;
pub const PY_TPFLAGS_BASE_EXC_SUBCLASS: c_ulong = 1 << 30;
pub const PY_TPFLAGS_TYPE_SUBCLASS: c_ulong = 1 << 31;
pub const PY_FILE_INPUT: c_int = 257;
pub const PY_TP_CALL: c_int = 50;
pub const PY_TP_DEALLOC: c_int = 52;
pub const PY_TP_DESCR_SET: c_int = 43;
pub const PY_TP_GETATTRO: c_int = 58;
pub const PY_TP_HASH: c_int = 59;
pub const PY_TP_REPR: c_int = 66;
pub const PY_TP_RICHCOMPARE: c_int = 67;
pub const PY_TP_SETATTRO: c_int = 69;
pub const PY_TP_STR: c_int = 70;
pub const PY_TP_FREE: c_int = 74;

/// Declares [`Api`] and how to resolve it from the library.
macro_rules! api {
    ($($name:ident: fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        /// CPython's C API functions the bridge calls.
        #[allow(non_snake_case)]
        pub struct Api {
            $(pub $name: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
        }

        impl Api {
            /// Resolves every function, or names the first one missing.
            ///
            /// # Safety
            /// `lib` must be a CPython 3.11 shared library: the signatures
            /// above are 3.11's.
            pub unsafe fn load(lib: &Library) -> Result<Api, String> {
                Ok(Api {
                    // SAFETY: `lib` is CPython 3.11 (this function's
                    // contract), whose symbol of this name is a function of
                    // exactly the signature declared for it above, so the
                    // symbol may be read as that function pointer type.
                    $($name: unsafe { *lib.get(concat!(stringify!($name), "\0").as_bytes()).map_err(|e| e.to_string())? },)*
                })
            }
        }
    };
}

api! {
    Py_InitializeEx: fn(c_int);
    Py_IsInitialized: fn() -> c_int;
    Py_SetPythonHome: fn(*const libc_wchar);
    Py_DecodeLocale: fn(*const c_char, *mut usize) -> *mut libc_wchar;
    PyEval_SaveThread: fn() -> *mut c_void;
    PyEval_RestoreThread: fn(*mut c_void);
    PyGILState_Ensure: fn() -> c_int;
    PyGILState_Release: fn(c_int);
    Py_IncRef: fn(Obj);
    Py_DecRef: fn(Obj);
    PyErr_Fetch: fn(*mut Obj, *mut Obj, *mut Obj);
    PyErr_NormalizeException: fn(*mut Obj, *mut Obj, *mut Obj);
    PyErr_SetString: fn(Obj, *const c_char);
    PyErr_SetObject: fn(Obj, Obj);
    PyErr_Occurred: fn() -> Obj;
    PyErr_Clear: fn();
    PyException_SetTraceback: fn(Obj, Obj) -> c_int;
    PyLong_FromLongLong: fn(i64) -> Obj;
    PyLong_AsLongLongAndOverflow: fn(Obj, *mut c_int) -> i64;
    _PyLong_FromByteArray: fn(*const u8, usize, c_int, c_int) -> Obj;
    _PyLong_AsByteArray: fn(Obj, *mut u8, usize, c_int, c_int) -> c_int;
    _PyLong_NumBits: fn(Obj) -> usize;
    PyFloat_FromDouble: fn(f64) -> Obj;
    PyFloat_AsDouble: fn(Obj) -> f64;
    PyUnicode_FromStringAndSize: fn(*const c_char, isize) -> Obj;
    PyUnicode_DecodeUTF8: fn(*const c_char, isize, *const c_char) -> Obj;
    PyUnicode_AsUTF8AndSize: fn(Obj, *mut isize) -> *const c_char;
    PyUnicode_AsEncodedString: fn(Obj, *const c_char, *const c_char) -> Obj;
    PyUnicode_FromString: fn(*const c_char) -> Obj;
    PyBytes_FromStringAndSize: fn(*const c_char, isize) -> Obj;
    PyBytes_AsStringAndSize: fn(Obj, *mut *mut c_char, *mut isize) -> c_int;
    PyByteArray_FromStringAndSize: fn(*const c_char, isize) -> Obj;
    PyByteArray_AsString: fn(Obj) -> *mut c_char;
    PyByteArray_Size: fn(Obj) -> isize;
    PyTuple_New: fn(isize) -> Obj;
    PyTuple_SetItem: fn(Obj, isize, Obj) -> c_int;
    PyTuple_Size: fn(Obj) -> isize;
    PyTuple_GetItem: fn(Obj, isize) -> Obj;
    PyList_New: fn(isize) -> Obj;
    PyList_SetItem: fn(Obj, isize, Obj) -> c_int;
    PyList_Size: fn(Obj) -> isize;
    PyList_GetItem: fn(Obj, isize) -> Obj;
    PyDict_New: fn() -> Obj;
    PyDict_SetItem: fn(Obj, Obj, Obj) -> c_int;
    PyDict_SetItemString: fn(Obj, *const c_char, Obj) -> c_int;
    PyDict_GetItemString: fn(Obj, *const c_char) -> Obj;
    PyDict_Next: fn(Obj, *mut isize, *mut Obj, *mut Obj) -> c_int;
    PySet_New: fn(Obj) -> Obj;
    PyFrozenSet_New: fn(Obj) -> Obj;
    PyObject_GetIter: fn(Obj) -> Obj;
    PyIter_Next: fn(Obj) -> Obj;
    PyObject_GetAttr: fn(Obj, Obj) -> Obj;
    PyObject_GetAttrString: fn(Obj, *const c_char) -> Obj;
    PyObject_GetBuffer: fn(Obj, *mut PyBufferView, c_int) -> c_int;
    PyBuffer_Release: fn(*mut PyBufferView);
    PyObject_SetAttr: fn(Obj, Obj, Obj) -> c_int;
    PyObject_SetAttrString: fn(Obj, *const c_char, Obj) -> c_int;
    PyObject_HasAttrString: fn(Obj, *const c_char) -> c_int;
    PyObject_GenericGetAttr: fn(Obj, Obj) -> Obj;
    PyObject_Call: fn(Obj, Obj, Obj) -> Obj;
    PyObject_Vectorcall: fn(Obj, *const Obj, usize, Obj) -> Obj;
    PyObject_Repr: fn(Obj) -> Obj;
    PyObject_Str: fn(Obj) -> Obj;
    PyObject_Hash: fn(Obj) -> isize;
    PyObject_IsInstance: fn(Obj, Obj) -> c_int;
    PyType_IsSubtype: fn(Obj, Obj) -> c_int;
    PyType_GetFlags: fn(Obj) -> c_ulong;
    PyType_FromSpec: fn(*mut PyTypeSpec) -> Obj;
    PyType_FromSpecWithBases: fn(*mut PyTypeSpec, Obj) -> Obj;
    PyMemoryView_FromObject: fn(Obj) -> Obj;
    PyType_GetSlot: fn(Obj, c_int) -> *mut c_void;
    PyCFunction_NewEx: fn(*const PyMethodDef, Obj, Obj) -> Obj;
    PyImport_ImportModule: fn(*const c_char) -> Obj;
    PyModule_New: fn(*const c_char) -> Obj;
    PyRun_String: fn(*const c_char, c_int, Obj, Obj) -> Obj;
}

/// `wchar_t` on Linux.
#[allow(non_camel_case_types)]
pub type libc_wchar = i32;

/// Addresses of CPython's static objects and types.
pub struct Statics {
    pub none: Obj,
    pub true_: Obj,
    pub false_: Obj,
    pub not_implemented: Obj,
    pub ellipsis: Obj,
    pub str_type: Obj,
    pub int_type: Obj,
    pub float_type: Obj,
    pub tuple_type: Obj,
    pub list_type: Obj,
    pub dict_type: Obj,
    pub set_type: Obj,
    pub frozenset_type: Obj,
    pub bytearray_type: Obj,
    pub hash_not_implemented: *mut c_void,
    pub runtime_error: Obj,
    pub system_error: Obj,
    pub ignore_environment: *mut c_int,
    pub no_site: *mut c_int,
    pub no_user_site: *mut c_int,
}

impl Statics {
    /// Resolves the static objects, types and flags.
    ///
    /// # Safety
    /// `lib` must be a CPython 3.x shared library.
    pub unsafe fn load(lib: &Library) -> Result<Statics, String> {
        let sym = |name: &str| -> Result<*mut c_void, String> {
            let name = format!("{name}\0");
            // SAFETY: a data symbol's address is only taken, never called.
            unsafe { lib.get::<*mut c_void>(name.as_bytes()).map(|s| *s).map_err(|e| e.to_string()) }
        };
        // `PyExc_*` are `PyObject *` variables: the exception is what they hold.
        // SAFETY: CPython defines them as initialised pointer variables.
        let exc = |name: &str| sym(name).map(|p| unsafe { *(p as *mut Obj) });
        Ok(Statics {
            none: sym("_Py_NoneStruct")?.cast(),
            true_: sym("_Py_TrueStruct")?.cast(),
            false_: sym("_Py_FalseStruct")?.cast(),
            not_implemented: sym("_Py_NotImplementedStruct")?.cast(),
            ellipsis: sym("_Py_EllipsisObject")?.cast(),
            str_type: sym("PyUnicode_Type")?.cast(),
            int_type: sym("PyLong_Type")?.cast(),
            float_type: sym("PyFloat_Type")?.cast(),
            tuple_type: sym("PyTuple_Type")?.cast(),
            list_type: sym("PyList_Type")?.cast(),
            dict_type: sym("PyDict_Type")?.cast(),
            set_type: sym("PySet_Type")?.cast(),
            frozenset_type: sym("PyFrozenSet_Type")?.cast(),
            bytearray_type: sym("PyByteArray_Type")?.cast(),
            hash_not_implemented: sym("PyObject_HashNotImplemented")?,
            runtime_error: exc("PyExc_RuntimeError")?,
            system_error: exc("PyExc_SystemError")?,
            ignore_environment: sym("Py_IgnoreEnvironmentFlag")?.cast(),
            no_site: sym("Py_NoSiteFlag")?.cast(),
            no_user_site: sym("Py_NoUserSiteDirectory")?.cast(),
        })
    }
}

/// `tp_name` of the type `tp` (its offset, 24, is the same in every 3.x).
///
/// # Safety
/// `tp` must be a live type object.
#[inline]
pub unsafe fn type_name<'a>(tp: Obj) -> &'a std::ffi::CStr {
    // SAFETY: PyTypeObject starts with a PyVarObject header (24 bytes),
    // then `const char *tp_name`, a NUL-terminated string the type keeps.
    unsafe { std::ffi::CStr::from_ptr(*(tp.cast::<u8>().add(24).cast::<*const c_char>())) }
}

/// The type of `o`.
///
/// # Safety
/// `o` must be a live CPython object.
#[inline]
pub unsafe fn type_of(o: Obj) -> Obj {
    // SAFETY: every object starts with the PyObject header.
    unsafe { (*o).ob_type }
}

/// A new reference to `o`, inline (`Py_INCREF` of a release build).
///
/// # Safety
/// `o` must be a live object and the GIL held; only for a release build of
/// CPython (no `Py_REF_DEBUG` total to keep), which [`Layout::check`]
/// makes sure of before the fast paths that use this run.
#[inline]
pub unsafe fn incref(o: Obj) {
    // SAFETY: the GIL serialises refcount updates; `o` is live.
    unsafe { (*o).ob_refcnt += 1 };
}

/// Releases a reference to `o`: inline unless it is the last one, which
/// `Py_DecRef` releases (and deallocates).
///
/// # Safety
/// As [`incref`], and the caller owns the reference.
#[inline]
pub unsafe fn decref(api: &Api, o: Obj) {
    // SAFETY: the GIL serialises refcount updates; the caller owns one of
    // the references, so the count is at least 1 and `o` is live.
    unsafe {
        if (*o).ob_refcnt > 1 {
            (*o).ob_refcnt -= 1;
        } else {
            (api.Py_DecRef)(o);
        }
    }
}

/// Readers of CPython 3.11's value layouts (x86-64, release build), as its
/// headers define them:
///
/// - `PyLongObject`: `ob_size` (the number of 30-bit digits, negative for
///   a negative value) at 16, the `uint32_t` digits from 24;
/// - `PyFloatObject`: `double ob_fval` at 16;
/// - `PyASCIIObject`: `length` at 16, the `state` bit field at 32
///   (`interned:2, kind:3, compact:1, ascii:1, ready:1`, from the low
///   bit), 48 bytes long, a compact ASCII str's characters right after;
///   `PyCompactUnicodeObject` adds `utf8_length` at 48 and the cached
///   UTF-8 `char *utf8` at 56 (NULL until asked for);
/// - `PyListObject`: `ob_size` at 16, `PyObject **ob_item` at 24;
///   `PyTupleObject`: `ob_size` at 16, the items from 24;
/// - `PyDictObject`: `ma_used` at 16, `uint64_t ma_version_tag` at 24
///   (PEP 509: a new value, from a global counter, on every change).
///
/// Only used on objects whose type is exactly the builtin one, and only
/// once [`Layout::check`] found them so in the running library.
pub struct Layout;

const STATE_COMPACT_ASCII_READY: u32 = (1 << 5) | (1 << 6) | (1 << 7);

impl Layout {
    /// Whether the running library lays its values out as above: builds a
    /// few objects through the API and reads them back. False for a debug
    /// build (`_Py_RefTotal` exported, or any header shifted).
    ///
    /// # Safety
    /// GIL held, `api`/`st` from the running CPython 3.11.
    pub unsafe fn check(lib: &Library, api: &Api, st: &Statics) -> bool {
        // SAFETY: only the symbol's presence is asked for.
        if unsafe { lib.get::<*mut c_void>(b"_Py_RefTotal\0") }.is_ok() {
            return false;
        }
        // SAFETY: GIL held; each object is made by the API, read while
        // alive, then released.
        unsafe {
            let mut ok = true;
            for v in [0i64, 5, -7, (1 << 30) + 3, -((1 << 59) + 12345), i64::MAX >> 3] {
                let o = (api.PyLong_FromLongLong)(v);
                ok &= !o.is_null() && type_of(o) == st.int_type && Self::small_int(o) == Some(v);
                if !o.is_null() {
                    (api.Py_DecRef)(o);
                }
            }
            let o = (api.PyFloat_FromDouble)(2.5);
            ok &= !o.is_null() && Self::float(o) == 2.5;
            (api.Py_DecRef)(o);
            let text = "ascii text";
            let o = (api.PyUnicode_FromStringAndSize)(text.as_ptr().cast(), text.len() as isize);
            ok &= !o.is_null() && Self::ascii(o).map(|b| b == text.as_bytes()) == Some(true);
            (api.Py_DecRef)(o);
            let text = "non-ascii \u{e9}";
            let o = (api.PyUnicode_FromStringAndSize)(text.as_ptr().cast(), text.len() as isize);
            ok &= !o.is_null() && Self::ascii(o).is_none();
            if ok {
                // Asking for the UTF-8 caches it in the object.
                let mut n = 0isize;
                let p = (api.PyUnicode_AsUTF8AndSize)(o, &mut n);
                ok &= Self::cached_utf8(o).is_some_and(|b| b.as_ptr() == p.cast() && b == text.as_bytes());
            }
            (api.Py_DecRef)(o);
            let l = (api.PyList_New)(2);
            let t = (api.PyTuple_New)(1);
            ok &= !l.is_null() && !t.is_null();
            if ok {
                (api.Py_IncRef)(st.none);
                (api.PyList_SetItem)(l, 1, st.none);
                (api.Py_IncRef)(st.true_);
                (api.PyTuple_SetItem)(t, 0, st.true_);
                ok &= Self::seq_len(l) == 2 && Self::list_item(l, 1) == st.none && Self::list_item(l, 0).is_null();
                ok &= Self::seq_len(t) == 1 && Self::tuple_item(t, 0) == st.true_;
                (api.Py_DecRef)(l);
                (api.Py_DecRef)(t);
            }
            ok && Self::check_dict(api, st)
        }
    }

    /// Whether a dict's version tag is where [`Layout::dict_version`]
    /// reads it: it changes when the dict does, and only then.
    ///
    /// # Safety
    /// GIL held, `api`/`st` from the running CPython 3.11.
    unsafe fn check_dict(api: &Api, st: &Statics) -> bool {
        // SAFETY: GIL held; the dict is made by the API, read while alive,
        // then released.
        unsafe {
            let d = (api.PyDict_New)();
            if d.is_null() {
                return false;
            }
            let v0 = Self::dict_version(d);
            let set = (api.PyDict_SetItemString)(d, c"k".as_ptr(), st.none) == 0;
            let (v1, v2) = (Self::dict_version(d), Self::dict_version(d));
            let ok = set && v1 > v0 && v1 == v2 && *d.cast::<u8>().add(16).cast::<isize>() == 1;
            (api.Py_DecRef)(d);
            ok
        }
    }

    /// A dict's version tag.
    ///
    /// # Safety
    /// `o` a live exact dict, layout checked.
    #[inline]
    pub unsafe fn dict_version(o: Obj) -> u64 {
        // SAFETY: `ma_version_tag` at 24.
        unsafe { *o.cast::<u8>().add(24).cast::<u64>() }
    }

    /// An exact int's value if it has at most two digits (below 2**60 in
    /// magnitude), else None.
    ///
    /// # Safety
    /// `o` a live exact int, layout checked.
    #[inline]
    pub unsafe fn small_int(o: Obj) -> Option<i64> {
        // SAFETY: PyLongObject's fields as documented above.
        unsafe {
            let p = o.cast::<u8>();
            let size = *p.add(16).cast::<isize>();
            let digits = p.add(24).cast::<u32>();
            let magnitude = match size.unsigned_abs() {
                0 => 0,
                1 => *digits as i64,
                2 => *digits as i64 | (*digits.add(1) as i64) << 30,
                _ => return None,
            };
            Some(if size < 0 { -magnitude } else { magnitude })
        }
    }

    /// An exact float's value.
    ///
    /// # Safety
    /// `o` a live exact float, layout checked.
    #[inline]
    pub unsafe fn float(o: Obj) -> f64 {
        // SAFETY: `ob_fval` at 16.
        unsafe { *o.cast::<u8>().add(16).cast::<f64>() }
    }

    /// A compact ASCII str's characters (borrowed from `o`), else None.
    ///
    /// # Safety
    /// `o` a live str, layout checked.
    #[inline]
    pub unsafe fn ascii<'a>(o: Obj) -> Option<&'a [u8]> {
        // SAFETY: PyASCIIObject's fields as documented above.
        unsafe {
            let p = o.cast::<u8>();
            let state = *p.add(32).cast::<u32>();
            if state & STATE_COMPACT_ASCII_READY != STATE_COMPACT_ASCII_READY {
                return None;
            }
            let len = *p.add(16).cast::<isize>() as usize;
            Some(std::slice::from_raw_parts(p.add(48), len))
        }
    }

    /// A compact non-ASCII str's UTF-8, if CPython has it cached.
    ///
    /// # Safety
    /// `o` a live str that is not compact ASCII, layout checked.
    #[inline]
    pub unsafe fn cached_utf8<'a>(o: Obj) -> Option<&'a [u8]> {
        // SAFETY: PyCompactUnicodeObject's fields as documented above.
        unsafe {
            let p = o.cast::<u8>();
            let state = *p.add(32).cast::<u32>();
            if state & STATE_COMPACT_ASCII_READY != (1 << 5) | (1 << 7) {
                return None;
            }
            let utf8 = *p.add(56).cast::<*const u8>();
            if utf8.is_null() {
                return None;
            }
            Some(std::slice::from_raw_parts(utf8, *p.add(48).cast::<isize>() as usize))
        }
    }

    /// `ob_size` of a list or tuple.
    ///
    /// # Safety
    /// `o` a live exact list or tuple, layout checked.
    #[inline]
    pub unsafe fn seq_len(o: Obj) -> usize {
        // SAFETY: `ob_size` at 16.
        unsafe { *o.cast::<u8>().add(16).cast::<isize>() as usize }
    }

    /// A list's item `i` (borrowed).
    ///
    /// # Safety
    /// `o` a live exact list, `i` below its length, layout checked.
    #[inline]
    pub unsafe fn list_item(o: Obj, i: usize) -> Obj {
        // SAFETY: `ob_item` at 24, `i` in range.
        unsafe { *(*o.cast::<u8>().add(24).cast::<*const Obj>()).add(i) }
    }

    /// A tuple's item `i` (borrowed).
    ///
    /// # Safety
    /// `o` a live exact tuple, `i` below its length, layout checked.
    #[inline]
    pub unsafe fn tuple_item(o: Obj, i: usize) -> Obj {
        // SAFETY: the items from 24, `i` in range.
        unsafe { *o.cast::<u8>().add(24).cast::<Obj>().add(i) }
    }
}
