//! `Field`: a reference to a Python object stored inside an object of an
//! extension class (`HPyField`), visited by the class's generated
//! `tp_traverse`.

use crate::class::{PyClass, PyRef};
use crate::object::{call, Obj};
use core::cell::UnsafeCell;
use lichen_abi::HPyField;

/// A Python reference held by an instance of a `#[pyclass]`. The class's
/// `tp_traverse` is generated and visits every `Field` (also inside
/// `Option`, `Vec`, arrays and tuples), so the GC sees it; the runtime
/// clears it when the object dies. It is read through the object
/// (`field.get(&slf)`) and written through `PyRefMut::set_field`, which
/// passes the owning object as HPy's write barrier requires.
#[repr(transparent)]
pub struct Field {
    /// The runtime may clear the field through the pointer traverse gives
    /// it (garbage collection of a cycle) while Rust holds `&Field`.
    raw: UnsafeCell<HPyField>,
}

// SAFETY: the only writes are `set_field` (through `&mut`) and the
// runtime's clearing during garbage collection, which runs while no Rust
// code of the extension touches the object from another thread (the
// runtime serialises its collection with calls into extensions).
unsafe impl Sync for Field {}

impl Field {
    /// An empty field.
    pub const fn new() -> Field {
        Field { raw: UnsafeCell::new(HPyField::NULL) }
    }

    /// Whether nothing was stored.
    pub fn is_empty(&self) -> bool {
        self.value().is_null()
    }

    fn value(&self) -> HPyField {
        // SAFETY: see the Sync impl: no write races with this read.
        unsafe { *self.raw.get() }
    }

    /// A new reference to the stored object, `None` if empty. `owner` is
    /// the object this field belongs to.
    pub fn get<'py, T: PyClass>(&self, owner: &PyRef<'_, 'py, T>) -> Option<Obj<'py>> {
        owner.check_field(self);
        let raw = self.value();
        if raw.is_null() {
            return None;
        }
        let py = owner.py();
        // SAFETY: the field lies inside `owner`'s payload (checked above)
        // and holds a reference stored by Field_Store.
        let h = unsafe { call!(py, ctx_Field_Load(owner.as_obj().raw(), raw)) };
        py.owned(h).ok()
    }

    pub(crate) fn raw_ptr(&self) -> *mut HPyField {
        self.raw.get()
    }
}

impl Default for Field {
    fn default() -> Self {
        Field::new()
    }
}

/// What the generated `tp_traverse` visits: implemented by `Field` and by
/// the containers that can hold fields. Implement it for your own types
/// that hold fields and list them with `#[pyclass(traverse = ...)]`.
pub trait Traverse {
    /// Calls `visit` with every field; a non-zero result stops the visit
    /// and is returned.
    fn traverse(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32;
}

impl Traverse for Field {
    fn traverse(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32 {
        if self.is_empty() { 0 } else { visit(self) }
    }
}

impl<T: Traverse> Traverse for Option<T> {
    fn traverse(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32 {
        self.as_ref().map_or(0, |t| t.traverse(visit))
    }
}

impl<T: Traverse> Traverse for Vec<T> {
    fn traverse(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32 {
        self.as_slice().traverse(visit)
    }
}

impl<T: Traverse> Traverse for [T] {
    fn traverse(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32 {
        self.iter().map(|t| t.traverse(visit)).find(|&r| r != 0).unwrap_or(0)
    }
}

impl<T: Traverse, const N: usize> Traverse for [T; N] {
    fn traverse(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32 {
        self.as_slice().traverse(visit)
    }
}

impl<T: Traverse> Traverse for Box<T> {
    fn traverse(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32 {
        (**self).traverse(visit)
    }
}

impl<A: Traverse, B: Traverse> Traverse for (A, B) {
    fn traverse(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32 {
        match self.0.traverse(visit) {
            0 => self.1.traverse(visit),
            r => r,
        }
    }
}

/// Autoref specialisation for the generated `tp_traverse`: struct members
/// whose type implements `Traverse` are visited, the others skipped. The
/// generated code calls `(&TraverseProbe(&member)).visit_fields(..)`: the
/// impl on `TraverseProbe<T: Traverse>` is found first (by value), the one
/// on `&TraverseProbe<T>` (one autoref further) only when `T` has none.
#[doc(hidden)]
pub struct TraverseProbe<'a, T>(pub &'a T);

#[doc(hidden)]
pub trait VisitFields {
    fn visit_fields(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32;
}

impl<T: Traverse> VisitFields for TraverseProbe<'_, T> {
    fn visit_fields(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32 {
        self.0.traverse(visit)
    }
}

#[doc(hidden)]
pub trait SkipFields {
    fn visit_fields(&self, visit: &mut dyn FnMut(&Field) -> i32) -> i32;
}

impl<T> SkipFields for &TraverseProbe<'_, T> {
    fn visit_fields(&self, _visit: &mut dyn FnMut(&Field) -> i32) -> i32 {
        0
    }
}
