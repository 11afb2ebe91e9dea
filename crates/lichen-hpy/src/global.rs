//! `Global`: a module-level reference to a Python object (`HPyGlobal`).

use crate::object::{call, Obj};
use crate::python::Python;
use core::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use lichen_abi::HPyGlobal;

/// A reference to a Python object kept in a `static`, for module-level
/// state (HPy 0.9 has no module state): `static CACHE: Global = Global::new();`
/// inside the `#[hpymodule]`, which registers it in the module definition.
/// It is read and written only inside calls (`Python<'py>`).
#[repr(C)]
pub struct Global {
    /// The `HPyGlobal` the runtime fills: same layout as `isize`, atomic
    /// because threads may read it while the runtime writes it.
    raw: AtomicIsize,
    stored: AtomicBool,
}

impl Global {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Global {
        Global { raw: AtomicIsize::new(0), stored: AtomicBool::new(false) }
    }

    /// A new reference to the stored object, `None` before the first store.
    pub fn get<'py>(&self, py: Python<'py>) -> Option<Obj<'py>> {
        if !self.stored.load(Ordering::Acquire) {
            return None;
        }
        let g = HPyGlobal { _i: self.raw.load(Ordering::Acquire) };
        // SAFETY: the global was stored by `set` under this extension's
        // context (registered in the module definition); Load returns a
        // new handle.
        let h = unsafe { call!(py, ctx_Global_Load(g)) };
        py.owned(h).ok()
    }

    /// Like `get`, for internal users that need an object: `None` if unset.
    pub(crate) fn load<'py>(&self, py: Python<'py>) -> Obj<'py> {
        self.get(py).unwrap_or_else(|| py.constant(|c| c.h_SystemError))
    }

    /// Stores `value` (replacing what was there).
    pub fn set(&self, py: Python<'_>, value: &Obj<'_>) {
        // SAFETY: `raw` has HPyGlobal's layout and lives in a static that
        // the module definition registers; Store writes the new reference.
        unsafe { call!(py, ctx_Global_Store(self.as_ptr(), value.raw())) };
        self.stored.store(true, Ordering::Release);
    }

    /// The `HPyGlobal *` the module definition lists.
    #[doc(hidden)]
    pub const fn as_ptr(&self) -> *mut HPyGlobal {
        self.raw.as_ptr().cast()
    }
}
