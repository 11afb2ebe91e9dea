//! `Obj<'py>`: an owned HPy handle, closed when dropped.

use crate::err::{PyErr, PyResult};
use crate::exceptions::PyValueError;
use crate::python::Python;
use crate::{FromPy, IntoPy};
use core::mem::ManuallyDrop;
use lichen_abi::HPy;
use std::ffi::CString;

/// A handle to a Python object, owned by the Rust code that holds it: it
/// is closed on drop and duplicated by `clone`. It lives no longer than the
/// call (`'py`) and never leaves its thread. There is no way to get a Rust
/// reference into the object's memory from it except the extension's own
/// payload (`PyRef`), as HPy requires.
pub struct Obj<'py> {
    h: HPy,
    py: Python<'py>,
}

/// Calls a context function: `ctx!(py, Name(args...))`.
macro_rules! call {
    ($py:expr, $f:ident ($($a:expr),* $(,)?)) => {{
        let py: $crate::Python<'_> = $py;
        (py.ctx().$f)(py.ctx_ptr() $(, $a)*)
    }};
}
pub(crate) use call;

impl<'py> Obj<'py> {
    /// # Safety
    /// `h` must be a handle of `py`'s context that the caller owns (it is
    /// closed when the `Obj` drops).
    #[inline]
    pub(crate) unsafe fn from_owned(py: Python<'py>, h: HPy) -> Obj<'py> {
        Obj { h, py }
    }

    /// Lends a handle the caller does not own (an argument of the call):
    /// the result is never closed.
    ///
    /// # Safety
    /// `h` must be a live handle of `py`'s context for as long as the
    /// result is used.
    #[inline]
    pub(crate) unsafe fn borrowed(py: Python<'py>, h: HPy) -> ManuallyDrop<Obj<'py>> {
        ManuallyDrop::new(Obj { h, py })
    }

    /// The raw handle, still owned by `self`.
    #[inline]
    pub(crate) fn raw(&self) -> HPy {
        self.h
    }

    /// Gives up ownership: the caller closes the handle (or hands it to
    /// HPy, which does).
    #[inline]
    pub(crate) fn into_raw(self) -> HPy {
        ManuallyDrop::new(self).h
    }

    /// The call this handle belongs to.
    #[inline]
    pub fn py(&self) -> Python<'py> {
        self.py
    }

    fn owned(&self, h: HPy) -> PyResult<Obj<'py>> {
        self.py.owned(h)
    }

    /// `-1` from a context function means an exception is set.
    fn check(&self, r: core::ffi::c_int) -> PyResult<()> {
        if r < 0 { Err(PyErr::fetch(self.py)) } else { Ok(()) }
    }

    /// Extracts a Rust value (`obj.extract::<i64>()`).
    pub fn extract<T: FromPy<'py>>(&self) -> PyResult<T> {
        T::from_py(self)
    }

    /// `self is other`.
    pub fn is(&self, other: &Obj<'py>) -> bool {
        // SAFETY: both handles are live for the call.
        unsafe { call!(self.py, ctx_Is(self.h, other.h)) != 0 }
    }

    /// `self is None`.
    pub fn is_none(&self) -> bool {
        // SAFETY: the context constant and the handle are live.
        unsafe { call!(self.py, ctx_Is(self.h, self.py.ctx().h_None)) != 0 }
    }

    /// `isinstance(self, ty)`.
    pub fn is_instance(&self, ty: &Obj<'py>) -> bool {
        // SAFETY: both handles are live for the call.
        unsafe { call!(self.py, ctx_TypeCheck(self.h, ty.h)) != 0 }
    }

    /// `getattr(self, name)`.
    pub fn getattr(&self, name: &str) -> PyResult<Obj<'py>> {
        let name = c_string(name)?;
        // SAFETY: live handle, NUL-terminated name.
        self.owned(unsafe { call!(self.py, ctx_GetAttr_s(self.h, name.as_ptr())) })
    }

    /// `hasattr(self, name)`.
    pub fn hasattr(&self, name: &str) -> PyResult<bool> {
        let name = c_string(name)?;
        // SAFETY: live handle, NUL-terminated name.
        Ok(unsafe { call!(self.py, ctx_HasAttr_s(self.h, name.as_ptr())) } != 0)
    }

    /// `setattr(self, name, value)`.
    pub fn setattr(&self, name: &str, value: impl IntoPy) -> PyResult<()> {
        let name = c_string(name)?;
        let value = value.into_py(self.py)?;
        // SAFETY: live handles, NUL-terminated name.
        self.check(unsafe { call!(self.py, ctx_SetAttr_s(self.h, name.as_ptr(), value.h)) })
    }

    /// `self[key]`.
    pub fn get_item(&self, key: impl IntoPy) -> PyResult<Obj<'py>> {
        let key = key.into_py(self.py)?;
        // SAFETY: live handles.
        self.owned(unsafe { call!(self.py, ctx_GetItem(self.h, key.h)) })
    }

    /// `self[i]` for an integer index (no index object is made).
    pub fn get_item_i(&self, i: isize) -> PyResult<Obj<'py>> {
        // SAFETY: live handle.
        self.owned(unsafe { call!(self.py, ctx_GetItem_i(self.h, i)) })
    }

    /// `self[key] = value`.
    pub fn set_item(&self, key: impl IntoPy, value: impl IntoPy) -> PyResult<()> {
        let key = key.into_py(self.py)?;
        let value = value.into_py(self.py)?;
        // SAFETY: live handles.
        self.check(unsafe { call!(self.py, ctx_SetItem(self.h, key.h, value.h)) })
    }

    /// `del self[key]`.
    pub fn del_item(&self, key: impl IntoPy) -> PyResult<()> {
        let key = key.into_py(self.py)?;
        // SAFETY: live handles.
        self.check(unsafe { call!(self.py, ctx_DelItem(self.h, key.h)) })
    }

    /// `key in self`.
    pub fn contains(&self, key: impl IntoPy) -> PyResult<bool> {
        let key = key.into_py(self.py)?;
        // SAFETY: live handles.
        let r = unsafe { call!(self.py, ctx_Contains(self.h, key.h)) };
        self.check(r).map(|()| r != 0)
    }

    /// `len(self)`.
    pub fn len(&self) -> PyResult<usize> {
        // SAFETY: live handle.
        let n = unsafe { call!(self.py, ctx_Length(self.h)) };
        if n < 0 { Err(PyErr::fetch(self.py)) } else { Ok(n as usize) }
    }

    /// `len(self) == 0`.
    pub fn is_empty(&self) -> PyResult<bool> {
        self.len().map(|n| n == 0)
    }

    /// `bool(self)`.
    pub fn is_truthy(&self) -> PyResult<bool> {
        // SAFETY: live handle.
        let r = unsafe { call!(self.py, ctx_IsTrue(self.h)) };
        self.check(r).map(|()| r != 0)
    }

    /// `callable(self)`.
    pub fn is_callable(&self) -> bool {
        // SAFETY: live handle.
        unsafe { call!(self.py, ctx_Callable_Check(self.h)) != 0 }
    }

    /// `type(self)`.
    pub fn get_type(&self) -> Obj<'py> {
        // SAFETY: live handle; HPy_Type never fails for a live object.
        unsafe { Obj::from_owned(self.py, call!(self.py, ctx_Type(self.h))) }
    }

    /// `repr(self)`.
    pub fn repr(&self) -> PyResult<Obj<'py>> {
        // SAFETY: live handle.
        self.owned(unsafe { call!(self.py, ctx_Repr(self.h)) })
    }

    /// `str(self)`.
    pub fn str(&self) -> PyResult<Obj<'py>> {
        // SAFETY: live handle.
        self.owned(unsafe { call!(self.py, ctx_Str(self.h)) })
    }

    /// `hash(self)`.
    pub fn hash(&self) -> PyResult<isize> {
        // SAFETY: live handle.
        let h = unsafe { call!(self.py, ctx_Hash(self.h)) };
        if h == -1 && self.py.err_occurred() { Err(PyErr::fetch(self.py)) } else { Ok(h) }
    }

    /// `self(*args)`.
    pub fn call(&self, args: &[&Obj<'py>]) -> PyResult<Obj<'py>> {
        self.call_kw(args, &[])
    }

    /// `self(*args, **dict(kwargs))`.
    pub fn call_kw(&self, args: &[&Obj<'py>], kwargs: &[(&str, &Obj<'py>)]) -> PyResult<Obj<'py>> {
        let mut raw: Vec<HPy> = args.iter().map(|o| o.h).collect();
        raw.extend(kwargs.iter().map(|(_, v)| v.h));
        let names = if kwargs.is_empty() {
            None
        } else {
            let names: Vec<Obj<'py>> = kwargs.iter().map(|(k, _)| k.into_py(self.py)).collect::<PyResult<_>>()?;
            Some(self.py.tuple(&names.iter().collect::<Vec<_>>())?)
        };
        let kwnames = names.as_ref().map_or(HPy::NULL, |n| n.h);
        // SAFETY: `raw` holds args.len() positional then kwargs.len()
        // keyword values, all live; kwnames is NULL or a tuple of str.
        self.owned(unsafe { call!(self.py, ctx_Call(self.h, raw.as_ptr(), args.len(), kwnames)) })
    }

    /// `self.name(*args)`.
    pub fn call_method(&self, name: &str, args: &[&Obj<'py>]) -> PyResult<Obj<'py>> {
        self.getattr(name)?.call(args)
    }

    /// The rich comparison `self <op> other` as a bool.
    pub fn compare(&self, other: &Obj<'py>, op: crate::CompareOp) -> PyResult<bool> {
        // SAFETY: live handles; op is one of the six HPy_RichCmpOp values.
        let r = unsafe { call!(self.py, ctx_RichCompareBool(self.h, other.h, op as core::ffi::c_int)) };
        self.check(r).map(|()| r != 0)
    }

    /// `self == other`.
    pub fn eq(&self, other: &Obj<'py>) -> PyResult<bool> {
        self.compare(other, crate::CompareOp::Eq)
    }
}

/// The binary and unary operators of the number protocol.
macro_rules! number_ops {
    ($($(#[$doc:meta])* $name:ident = $f:ident ($($arg:ident),*);)*) => {
        impl<'py> Obj<'py> {$(
            $(#[$doc])*
            pub fn $name(&self $(, $arg: &Obj<'py>)*) -> PyResult<Obj<'py>> {
                // SAFETY: live handles.
                self.owned(unsafe { call!(self.py, $f(self.h $(, $arg.h)*)) })
            }
        )*}
    };
}

number_ops! {
    /// `self + other`.
    add = ctx_Add(other);
    /// `self - other`.
    sub = ctx_Subtract(other);
    /// `self * other`.
    mul = ctx_Multiply(other);
    /// `self / other`.
    truediv = ctx_TrueDivide(other);
    /// `self // other`.
    floordiv = ctx_FloorDivide(other);
    /// `self % other`.
    rem = ctx_Remainder(other);
    /// `self @ other`.
    matmul = ctx_MatrixMultiply(other);
    /// `self & other`.
    and = ctx_And(other);
    /// `self | other`.
    or = ctx_Or(other);
    /// `self ^ other`.
    xor = ctx_Xor(other);
    /// `self << other`.
    lshift = ctx_Lshift(other);
    /// `self >> other`.
    rshift = ctx_Rshift(other);
    /// `-self`.
    neg = ctx_Negative();
    /// `+self`.
    pos = ctx_Positive();
    /// `abs(self)`.
    abs = ctx_Absolute();
    /// `~self`.
    invert = ctx_Invert();
}

impl Clone for Obj<'_> {
    fn clone(&self) -> Self {
        // SAFETY: live handle; Dup returns a new one this Obj owns.
        Obj { h: unsafe { call!(self.py, ctx_Dup(self.h)) }, py: self.py }
    }
}

impl Drop for Obj<'_> {
    fn drop(&mut self) {
        // SAFETY: `self` owns the handle, which is closed exactly once here.
        unsafe { call!(self.py, ctx_Close(self.h)) }
    }
}

impl core::fmt::Debug for Obj<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.repr().and_then(|r| r.extract::<String>()) {
            Ok(s) => f.write_str(&s),
            Err(_) => f.write_str("<object with a failing repr>"),
        }
    }
}

impl<'py> Python<'py> {
    /// Whether an exception is set.
    pub(crate) fn err_occurred(self) -> bool {
        // SAFETY: the context is valid for 'py.
        unsafe { call!(self, ctx_Err_Occurred()) != 0 }
    }

}

/// `s` as a C string; an interior NUL is a ValueError.
pub(crate) fn c_string(s: &str) -> PyResult<CString> {
    CString::new(s).map_err(|_| PyValueError::new_err("embedded null character"))
}
