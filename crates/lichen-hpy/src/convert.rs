//! Conversions between Rust values and Python objects.

use crate::err::{PyErr, PyResult};
use crate::exceptions::{PyOverflowError, PyTypeError};
use crate::object::{call, Obj};
use crate::python::Python;
use std::collections::HashMap;
use std::hash::Hash;

/// A Rust value made from a Python object (argument extraction).
pub trait FromPy<'py>: Sized {
    fn from_py(obj: &Obj<'py>) -> PyResult<Self>;
}

/// A Rust value turned into a Python object (return values).
pub trait IntoPy {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>>;
}

impl<'py> FromPy<'py> for Obj<'py> {
    fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
        Ok(obj.clone())
    }
}

impl IntoPy for Obj<'_> {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        // A handle of one call is a handle of any call on the same context:
        // re-tag it (the lifetimes only keep handles inside their call, and
        // `self` is consumed here).
        let h = self.into_raw();
        // SAFETY: `h` is owned and alive; `py` is the running call.
        Ok(unsafe { Obj::from_owned(py, h) })
    }
}

impl IntoPy for &Obj<'_> {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        self.clone().into_py(py)
    }
}

impl IntoPy for () {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        Ok(py.none())
    }
}

impl IntoPy for bool {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        Ok(py.bool(self))
    }
}

impl<'py> FromPy<'py> for bool {
    /// Only `True` and `False` (like PyO3): no truth testing.
    fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
        let py = obj.py();
        let ctx = py.ctx();
        // SAFETY: live handles.
        unsafe {
            if call!(py, ctx_Is(obj.raw(), ctx.h_True)) != 0 {
                return Ok(true);
            }
            if call!(py, ctx_Is(obj.raw(), ctx.h_False)) != 0 {
                return Ok(false);
            }
        }
        Err(PyTypeError::new_err("expected a bool"))
    }
}

/// Integers: through the 64-bit conversions, then checked against the
/// width (a Python `OverflowError` when the value does not fit).
macro_rules! ints {
    ($via:ident, $as:ident, $from:ident: $($t:ty),*) => {$(
        impl<'py> FromPy<'py> for $t {
            fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
                let py = obj.py();
                // SAFETY: live handle.
                let v = unsafe { call!(py, $as(obj.raw())) };
                if v == (-1i64) as $via && py.err_occurred() {
                    return Err(PyErr::fetch(py));
                }
                <$t>::try_from(v).map_err(|_| {
                    PyOverflowError::new_err(concat!("Python int too large to convert to ", stringify!($t)))
                })
            }
        }
        impl IntoPy for $t {
            fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
                // SAFETY: the context is valid for the call.
                py.owned(unsafe { call!(py, $from(self as $via)) })
            }
        }
    )*};
}

ints!(i64, ctx_Long_AsInt64_t, ctx_Long_FromInt64_t: i8, i16, i32, i64, isize);
ints!(u64, ctx_Long_AsUInt64_t, ctx_Long_FromUInt64_t: u8, u16, u32, u64, usize);

impl<'py> FromPy<'py> for f64 {
    fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
        let py = obj.py();
        // SAFETY: live handle.
        let v = unsafe { call!(py, ctx_Float_AsDouble(obj.raw())) };
        if v == -1.0 && py.err_occurred() { Err(PyErr::fetch(py)) } else { Ok(v) }
    }
}

impl<'py> FromPy<'py> for f32 {
    fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
        f64::from_py(obj).map(|v| v as f32)
    }
}

impl IntoPy for f64 {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        // SAFETY: the context is valid for the call.
        py.owned(unsafe { call!(py, ctx_Float_FromDouble(self)) })
    }
}

impl IntoPy for f32 {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        (self as f64).into_py(py)
    }
}

impl<'py> FromPy<'py> for String {
    fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
        let py = obj.py();
        // SAFETY: live handle.
        if unsafe { call!(py, ctx_Unicode_Check(obj.raw())) } == 0 {
            return Err(PyTypeError::new_err("expected a str"));
        }
        let mut len: isize = 0;
        // SAFETY: a str; the UTF-8 buffer lives as long as the object, which
        // `obj` keeps alive until the copy below is made.
        let p = unsafe { call!(py, ctx_Unicode_AsUTF8AndSize(obj.raw(), &mut len)) };
        if p.is_null() {
            return Err(PyErr::fetch(py));
        }
        // SAFETY: `p` points to `len` bytes of UTF-8 (HPy's contract).
        let bytes = unsafe { core::slice::from_raw_parts(p.cast::<u8>(), len as usize) };
        String::from_utf8(bytes.to_vec()).map_err(|_| PyTypeError::new_err("str is not valid UTF-8"))
    }
}

impl IntoPy for &str {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        // Through bytes and decode, so that NUL characters survive.
        let b = Bytes(self.as_bytes().to_vec()).into_py(py)?;
        b.call_method("decode", &[])
    }
}

impl IntoPy for String {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        str_into_py(&self, py)
    }
}

impl IntoPy for &String {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        str_into_py(self, py)
    }
}

/// A str from UTF-8: directly when the text has no NUL.
fn str_into_py<'py>(s: &str, py: Python<'py>) -> PyResult<Obj<'py>> {
    match std::ffi::CString::new(s) {
        // SAFETY: NUL-terminated UTF-8.
        Ok(c) => py.owned(unsafe { call!(py, ctx_Unicode_FromString(c.as_ptr())) }),
        Err(_) => s.into_py(py),
    }
}

/// Python `bytes`, as an owned byte vector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl<'py> FromPy<'py> for Bytes {
    fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
        let py = obj.py();
        // SAFETY: live handle.
        if unsafe { call!(py, ctx_Bytes_Check(obj.raw())) } == 0 {
            return Err(PyTypeError::new_err("expected bytes"));
        }
        // SAFETY: a bytes object: its buffer holds Size bytes while `obj`
        // keeps it alive, and is copied at once.
        unsafe {
            let n = call!(py, ctx_Bytes_Size(obj.raw()));
            let p = call!(py, ctx_Bytes_AsString(obj.raw()));
            Ok(Bytes(core::slice::from_raw_parts(p.cast::<u8>(), n as usize).to_vec()))
        }
    }
}

impl IntoPy for Bytes {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        self.0.as_slice().into_py(py)
    }
}

impl IntoPy for &[u8] {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        // SAFETY: `self` is len() readable bytes.
        py.owned(unsafe { call!(py, ctx_Bytes_FromStringAndSize(self.as_ptr().cast(), self.len() as isize)) })
    }
}

impl<'py, T: FromPy<'py>> FromPy<'py> for Option<T> {
    fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
        if obj.is_none() { Ok(None) } else { T::from_py(obj).map(Some) }
    }
}

impl<T: IntoPy> IntoPy for Option<T> {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        match self {
            Some(v) => v.into_py(py),
            None => Ok(py.none()),
        }
    }
}

/// Any sequence (`len` and indexing), item by item; a str is refused (it
/// is a sequence of str, which is rarely what a `Vec` parameter means).
impl<'py, T: FromPy<'py>> FromPy<'py> for Vec<T> {
    fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
        let py = obj.py();
        // SAFETY: live handle.
        if unsafe { call!(py, ctx_Unicode_Check(obj.raw())) } != 0 {
            return Err(PyTypeError::new_err("can't extract a str to a Vec"));
        }
        let n = obj.len()?;
        // One allocation of the final size (a `collect` through `Result`
        // knows no size and grows the vector), within reason: `__len__`
        // can claim anything.
        let mut out = Vec::with_capacity(n.min(1 << 12));
        for i in 0..n {
            // SAFETY: live handle; GetItem_i returns a new handle.
            let item = py.owned(unsafe { call!(py, ctx_GetItem_i(obj.raw(), i as isize)) })?;
            out.push(T::from_py(&item)?);
        }
        Ok(out)
    }
}

/// A list.
impl<T: IntoPy> IntoPy for Vec<T> {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let list = py.list()?;
        for item in self {
            let item = item.into_py(py)?;
            // SAFETY: live handles.
            if unsafe { call!(py, ctx_List_Append(list.raw(), item.raw())) } < 0 {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(list)
    }
}

impl<'py, K: FromPy<'py> + Eq + Hash, V: FromPy<'py>> FromPy<'py> for HashMap<K, V> {
    fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
        let py = obj.py();
        // SAFETY: live handle.
        if unsafe { call!(py, ctx_Dict_Check(obj.raw())) } == 0 {
            return Err(PyTypeError::new_err("expected a dict"));
        }
        // SAFETY: a dict; Keys returns a new list.
        let keys = py.owned(unsafe { call!(py, ctx_Dict_Keys(obj.raw())) })?;
        let keys: Vec<Obj<'py>> = keys.extract()?;
        keys.iter().map(|k| Ok((K::from_py(k)?, V::from_py(&obj.get_item(k)?)?))).collect()
    }
}

/// A dict.
impl<K: IntoPy, V: IntoPy> IntoPy for HashMap<K, V> {
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let dict = py.dict()?;
        for (k, v) in self {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }
}

/// Tuples of up to six items, both ways; extraction wants a sequence of
/// exactly that length.
macro_rules! tuples {
    ($($n:literal: ($($t:ident $i:tt),*);)*) => {$(
        impl<'py, $($t: FromPy<'py>),*> FromPy<'py> for ($($t,)*) {
            fn from_py(obj: &Obj<'py>) -> PyResult<Self> {
                if obj.len()? != $n {
                    return Err(PyTypeError::new_err(concat!("expected a sequence of length ", $n)));
                }
                Ok(($($t::from_py(&obj.get_item_i($i as isize)?)?,)*))
            }
        }
        impl<$($t: IntoPy),*> IntoPy for ($($t,)*) {
            fn into_py<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
                let items = [$(self.$i.into_py(py)?),*];
                py.tuple(&items.iter().collect::<Vec<_>>())
            }
        }
    )*};
}

tuples! {
    1: (A 0);
    2: (A 0, B 1);
    3: (A 0, B 1, C 2);
    4: (A 0, B 1, C 2, D 3);
    5: (A 0, B 1, C 2, D 3, E 4);
    6: (A 0, B 1, C 2, D 3, E 4, F 5);
}

/// What a `#[pyfunction]` or method may return: a value or a `PyResult`
/// of one.
pub trait IntoPyResult {
    fn into_py_result<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>>;
}

impl<T: IntoPy> IntoPyResult for T {
    fn into_py_result<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        self.into_py(py)
    }
}

impl<T: IntoPy> IntoPyResult for PyResult<T> {
    fn into_py_result<'py>(self, py: Python<'py>) -> PyResult<Obj<'py>> {
        self.and_then(|v| v.into_py(py))
    }
}

/// What a method returning a plain value (`__len__`, `__hash__`,
/// `__bool__`, `__contains__`, a setter) may return: the value or a
/// `PyResult` of it.
pub trait IntoResult<T> {
    fn into_result(self) -> PyResult<T>;
}

impl<T> IntoResult<T> for T {
    fn into_result(self) -> PyResult<T> {
        Ok(self)
    }
}

impl<T> IntoResult<T> for PyResult<T> {
    fn into_result(self) -> PyResult<T> {
        self
    }
}

/// Return values of special methods whose C result is a number: the
/// value or a `PyResult` of it, turned into what the slot returns.
macro_rules! ret_traits {
    ($($(#[$doc:meta])* $tr:ident -> $out:ty { $($t:ty => |$v:ident| $e:expr),* $(,)? })*) => {$(
        $(#[$doc])*
        #[doc(hidden)]
        pub trait $tr {
            fn into_ret(self) -> PyResult<$out>;
        }
        $(
            impl $tr for $t {
                fn into_ret(self) -> PyResult<$out> {
                    let $v = self;
                    Ok($e)
                }
            }
            impl $tr for PyResult<$t> {
                fn into_ret(self) -> PyResult<$out> {
                    self.and_then($tr::into_ret)
                }
            }
        )*
    )*};
}

/// A hash of -1 means "error" to CPython: it becomes -2, as in CPython.
fn hash_value(h: isize) -> isize {
    if h == -1 { -2 } else { h }
}

ret_traits! {
    /// `__hash__`.
    RetHash -> isize {
        isize => |v| hash_value(v), i64 => |v| hash_value(v as isize), u64 => |v| hash_value(v as isize),
        usize => |v| hash_value(v as isize), i32 => |v| hash_value(v as isize), u32 => |v| hash_value(v as isize),
    }
    /// `__len__`.
    RetLen -> isize {
        usize => |v| v as isize,
    }
    /// `__bool__`, `__contains__`.
    RetBool -> core::ffi::c_int {
        bool => |v| v as core::ffi::c_int,
    }
    /// `__setitem__`, `__delitem__`, setters, `__init__`, `__del__`.
    RetUnit -> () {
        () => |v| v,
    }
}

/// What `#[new]` may return: the value or a `PyResult` of it.
#[doc(hidden)]
pub trait RetNew<T> {
    fn into_new(self) -> PyResult<T>;
}

impl<T: crate::PyClass> RetNew<T> for T {
    fn into_new(self) -> PyResult<T> {
        Ok(self)
    }
}

impl<T: crate::PyClass> RetNew<T> for PyResult<T> {
    fn into_new(self) -> PyResult<T> {
        self
    }
}
