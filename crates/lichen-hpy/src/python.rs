//! `Python<'py>`: the proof that code runs inside a call from Python, and
//! the context that call received.

use crate::err::{PyErr, PyResult};
use crate::object::Obj;
use core::marker::PhantomData;
use core::ptr::NonNull;
use lichen_abi::{HPyContext, HPy};

/// A token for one call from Python into the extension. Every handle made
/// during the call carries its lifetime `'py`, so no handle outlives the
/// call; it holds a raw pointer, so neither it nor any handle is `Send`.
#[derive(Clone, Copy)]
pub struct Python<'py> {
    // NonNull: `Option<Obj>` is then as small as `Obj` (bound arguments).
    ctx: NonNull<HPyContext>,
    _call: PhantomData<&'py HPyContext>,
}

impl<'py> Python<'py> {
    /// # Safety
    /// `ctx` must be the context the running call from Python received,
    /// valid for `'py`, on this thread.
    #[inline]
    pub(crate) unsafe fn assume(ctx: *mut HPyContext) -> Python<'py> {
        // SAFETY: a running call's context is never NULL (the contract).
        Python { ctx: unsafe { NonNull::new_unchecked(ctx) }, _call: PhantomData }
    }

    #[inline]
    pub(crate) fn ctx_ptr(self) -> *mut HPyContext {
        self.ctx.as_ptr()
    }

    /// The context's function table and constants.
    #[inline]
    pub(crate) fn ctx(self) -> &'py HPyContext {
        // SAFETY: `assume`'s contract: the context is valid for 'py.
        unsafe { self.ctx.as_ref() }
    }

    /// Wraps a new handle a context function returned; NULL means the call
    /// failed with an exception set.
    #[inline]
    pub(crate) fn owned(self, h: HPy) -> PyResult<Obj<'py>> {
        if h.is_null() {
            Err(PyErr::fetch(self))
        } else {
            // SAFETY: a non-NULL result of a context function is a new handle.
            Ok(unsafe { Obj::from_owned(self, h) })
        }
    }

    /// A new reference to a context constant (`h_None`, `h_TypeError`...).
    #[inline]
    pub(crate) fn constant(self, pick: fn(&HPyContext) -> HPy) -> Obj<'py> {
        let ctx = self.ctx();
        // SAFETY: constants are valid handles for the context's lifetime; Dup
        // makes one this call owns.
        unsafe { Obj::from_owned(self, (ctx.ctx_Dup)(self.ctx_ptr(), pick(ctx))) }
    }

    /// `None`.
    pub fn none(self) -> Obj<'py> {
        self.constant(|c| c.h_None)
    }

    /// `True` or `False`.
    pub fn bool(self, v: bool) -> Obj<'py> {
        if v { self.constant(|c| c.h_True) } else { self.constant(|c| c.h_False) }
    }

    /// `NotImplemented`, what binary operators return for operands they
    /// do not handle.
    pub fn not_implemented(self) -> Obj<'py> {
        self.constant(|c| c.h_NotImplemented)
    }

    /// The dict of built-in names (HPy's `h_Builtins`).
    pub fn builtins(self) -> Obj<'py> {
        self.constant(|c| c.h_Builtins)
    }

    /// A built-in function or class by name (`py.builtin("iter")`).
    pub fn builtin(self, name: &str) -> PyResult<Obj<'py>> {
        self.builtins().get_item(name)
    }

    /// `import name`.
    pub fn import(self, name: &str) -> PyResult<Obj<'py>> {
        let name = crate::object::c_string(name)?;
        // SAFETY: the context is valid for 'py and `name` is NUL-terminated.
        self.owned(unsafe { (self.ctx().ctx_Import_ImportModule)(self.ctx_ptr(), name.as_ptr()) })
    }

    /// Converts a Rust value into a Python object.
    pub fn to_object<T: crate::IntoPy>(self, v: T) -> PyResult<Obj<'py>> {
        v.into_py(self)
    }

    /// A tuple of `items`.
    pub fn tuple(self, items: &[&Obj<'py>]) -> PyResult<Obj<'py>> {
        let raw: Vec<HPy> = items.iter().map(|o| o.raw()).collect();
        // SAFETY: every item is a live handle of this call.
        self.owned(unsafe { (self.ctx().ctx_Tuple_FromArray)(self.ctx_ptr(), raw.as_ptr(), raw.len() as isize) })
    }

    /// An empty list.
    pub fn list(self) -> PyResult<Obj<'py>> {
        // SAFETY: the context is valid for 'py.
        self.owned(unsafe { (self.ctx().ctx_List_New)(self.ctx_ptr(), 0) })
    }

    /// An empty dict.
    pub fn dict(self) -> PyResult<Obj<'py>> {
        // SAFETY: the context is valid for 'py.
        self.owned(unsafe { (self.ctx().ctx_Dict_New)(self.ctx_ptr()) })
    }

    /// Runs `f`, pure Rust work that touches no Python object, with the
    /// interpreter released (`HPy_LeavePythonExecution`), so other Python
    /// threads run meanwhile. `F: Send` keeps every handle, payload
    /// reference and this token out of the closure (none of them is
    /// `Send`): between Leave and Reenter no context function may run.
    pub fn allow_threads<T: Send, F: FnOnce() -> T + Send>(self, f: F) -> T {
        let ctx = self.ctx();
        // SAFETY: called from inside a call from Python, on its thread; the
        // state is handed back to Reenter on the same thread below, even if
        // `f` panics (the guard), and nothing in between calls the context.
        let state = unsafe { (ctx.ctx_LeavePythonExecution)(self.ctx_ptr()) };
        struct Reenter<'a>(*mut HPyContext, &'a HPyContext, lichen_abi::HPyThreadState);
        impl Drop for Reenter<'_> {
            fn drop(&mut self) {
                // SAFETY: pairs with the Leave above, on the same thread.
                unsafe { (self.1.ctx_ReenterPythonExecution)(self.0, self.2) }
            }
        }
        let _back = Reenter(self.ctx_ptr(), ctx, state);
        f()
    }
}
