//! Extension classes: a Rust struct as the payload of the objects of an HPy
//! type, borrowed through `PyRef` / `PyRefMut` with a run-time borrow flag
//! (two handles may name the same object, so Rust's static borrows cannot
//! decide it).

use crate::err::{PyErr, PyResult};
use crate::exceptions::{PyBufferError, PyRuntimeError, PyTypeError};
use crate::field::Field;
use crate::global::Global;
use crate::object::{call, Obj};
use crate::python::Python;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// The largest payload alignment HPy guarantees (`max_align_t` on x86_64
/// and aarch64): the object's memory is aligned to it and no more.
pub const MAX_PAYLOAD_ALIGN: usize = 16;

/// A `#[pyclass]` struct. Implemented by `#[hpymodule]`.
///
/// # Safety
/// `type_object` must hold the HPy type whose objects carry a
/// `PyCellLayout<Self>` as their struct (builtin shape `Object`).
pub unsafe trait PyClass: Sized + Send + Sync + 'static {
    /// The Python name of the class.
    const NAME: &'static str;
    /// Where the module keeps the type object.
    fn type_object() -> &'static Global;
}

/// The struct of an object of a `#[pyclass]` type. HPy zeroes it when the
/// object is allocated, so a zero `init` means "not constructed" (an
/// object made by `object.__new__` or a failed constructor).
#[repr(C)]
pub struct PyCellLayout<T> {
    /// 0: free; n > 0: n shared borrows; -1: borrowed mutably.
    borrow: AtomicIsize,
    /// Buffers exported from the payload and not yet released: while any
    /// exists, the payload cannot be borrowed mutably.
    exports: AtomicIsize,
    init: AtomicBool,
    pub(crate) value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> PyCellLayout<T> {
    pub const SIZE: usize = core::mem::size_of::<Self>();
    pub const ALIGN: usize = core::mem::align_of::<Self>();

    /// Whether the value was constructed and not yet dropped.
    pub(crate) fn is_init(&self) -> bool {
        self.init.load(Ordering::Acquire)
    }

    pub(crate) fn is_mut_borrowed(&self) -> bool {
        self.borrow.load(Ordering::Acquire) == -1
    }

    /// The value, for the runtime's traversal and destruction.
    ///
    /// # Safety
    /// The value must be initialised and not borrowed mutably.
    pub(crate) unsafe fn value_ref(&self) -> &T {
        unsafe { (*self.value.get()).assume_init_ref() }
    }

    /// Moves `value` in.
    ///
    /// # Safety
    /// The cell must be fresh (zeroed by HPy_New) and not shared yet.
    pub(crate) unsafe fn init_with(&self, value: T) {
        unsafe { (*self.value.get()).write(value) };
        self.init.store(true, Ordering::Release);
    }

    /// Drops the value if it was constructed (the object's tp_destroy).
    ///
    /// # Safety
    /// Called once, when the object dies: nothing borrows it any more.
    pub(crate) unsafe fn destroy(&self) {
        if self.init.swap(false, Ordering::AcqRel) {
            unsafe { (*self.value.get()).assume_init_drop() };
        }
    }

    pub(crate) fn begin_export(&self) {
        self.exports.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn end_export(&self) {
        self.exports.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The object `obj`'s payload, checked to be a constructed `T`.
#[inline]
fn cell_of<'a, T: PyClass>(obj: &'a Obj<'_>) -> PyResult<&'a PyCellLayout<T>> {
    let py = obj.py();
    let Some(ty) = T::type_object().get(py) else { return Err(type_error::<T>("class {} is not ready")) };
    if !obj.is_instance(&ty) {
        return Err(type_error::<T>("expected an instance of {}"));
    }
    drop(ty);
    // SAFETY: `obj` is an instance of T's type (checked).
    unsafe { cell_of_instance(obj) }
}

/// `TypeError(template)` with T's name for the `{}`: out of the borrow
/// paths' way.
#[cold]
#[inline(never)]
fn type_error<T: PyClass>(template: &str) -> PyErr {
    PyTypeError::new_err(template.replacen("{}", T::NAME, 1))
}

/// `RuntimeError(template)` with T's name for the `{}`.
#[cold]
#[inline(never)]
fn borrowed_error<T: PyClass>(template: &str) -> PyErr {
    PyRuntimeError::new_err(template.replacen("{}", T::NAME, 1))
}

/// A shared borrow of an object's payload.
pub struct PyRef<'a, 'py, T: PyClass> {
    obj: &'a Obj<'py>,
    cell: &'a PyCellLayout<T>,
}

/// `obj`'s payload, for an `obj` known to be an instance of `T`.
///
/// # Safety
/// `obj` must be an instance of T's type (or a subtype).
unsafe fn cell_of_instance<'a, T: PyClass>(obj: &'a Obj<'_>) -> PyResult<&'a PyCellLayout<T>> {
    // SAFETY: an instance of T's type has a PyCellLayout<T> as its struct
    // (the PyClass contract); the pointer stays valid while `obj`, which
    // the result borrows, keeps the object alive.
    let cell = unsafe { &*(call!(obj.py(), ctx_AsStruct_Object(obj.raw())) as *const PyCellLayout<T>) };
    if !cell.is_init() {
        return Err(type_error::<T>("{} object was not initialised by its constructor"));
    }
    Ok(cell)
}

impl<'a, 'py, T: PyClass> PyRef<'a, 'py, T> {
    /// Borrows `obj`'s payload; a TypeError if `obj` is no `T`, a
    /// RuntimeError if it is borrowed mutably.
    pub fn borrow(obj: &'a Obj<'py>) -> PyResult<Self> {
        Self::borrow_cell(obj, cell_of::<T>(obj)?)
    }

    fn borrow_cell(obj: &'a Obj<'py>, cell: &'a PyCellLayout<T>) -> PyResult<Self> {
        let mut n = cell.borrow.load(Ordering::Acquire);
        loop {
            if n < 0 {
                return Err(borrowed_error::<T>("{} object is already mutably borrowed"));
            }
            match cell.borrow.compare_exchange_weak(n, n + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(PyRef { obj, cell }),
                Err(now) => n = now,
            }
        }
    }

    pub(crate) fn cell(&self) -> &'a PyCellLayout<T> {
        self.cell
    }

    /// Panics unless `field` lies inside this payload (a field of another
    /// object would be loaded with the wrong owner).
    pub(crate) fn check_field(&self, field: &Field) {
        check_inside(self.cell, field)
    }
}

/// The methods `PyRef` and `PyRefMut` have alike, over their `borrow_cell`
/// (which takes the shared or the exclusive borrow) and their `obj`.
macro_rules! borrow_methods {
    ($($ty:ident),*) => {$(
        impl<'a, 'py, T: PyClass> $ty<'a, 'py, T> {
            /// The borrow for an `obj` already checked to be a `T`.
            ///
            /// # Safety
            /// `obj` must be an instance of T's type (or a subtype).
            #[doc(hidden)]
            pub unsafe fn borrow_instance(obj: &'a Obj<'py>) -> PyResult<Self> {
                // SAFETY: `obj` is an instance of T's type or a subtype
                // (this function's contract), `cell_of_instance`'s one
                // precondition.
                Self::borrow_cell(obj, unsafe { cell_of_instance::<T>(obj)? })
            }

            /// The object this payload belongs to.
            pub fn as_obj(&self) -> &'a Obj<'py> {
                self.obj
            }

            pub fn py(&self) -> Python<'py> {
                self.obj.py()
            }
        }
    )*};
}

borrow_methods!(PyRef, PyRefMut);

fn check_inside<T>(cell: &PyCellLayout<T>, field: &Field) {
    let start = cell.value.get() as usize;
    let at = field.raw_ptr() as usize;
    assert!(
        at >= start && at < start + core::mem::size_of::<T>(),
        "a Field must be used with the object that holds it"
    );
}

impl<T: PyClass> Deref for PyRef<'_, '_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the shared borrow counted in the flag excludes `&mut`.
        unsafe { self.cell.value_ref() }
    }
}

impl<T: PyClass> Drop for PyRef<'_, '_, T> {
    fn drop(&mut self) {
        self.cell.borrow.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An exclusive borrow of an object's payload.
pub struct PyRefMut<'a, 'py, T: PyClass> {
    obj: &'a Obj<'py>,
    cell: &'a PyCellLayout<T>,
    _not_send: PhantomData<*mut T>,
}

impl<'a, 'py, T: PyClass> PyRefMut<'a, 'py, T> {
    /// Borrows `obj`'s payload mutably; a RuntimeError if it is borrowed,
    /// a BufferError while a buffer exported from it is not released.
    pub fn borrow_mut(obj: &'a Obj<'py>) -> PyResult<Self> {
        Self::borrow_cell(obj, cell_of::<T>(obj)?)
    }

    fn borrow_cell(obj: &'a Obj<'py>, cell: &'a PyCellLayout<T>) -> PyResult<Self> {
        if cell.exports.load(Ordering::Acquire) > 0 {
            return Err(PyBufferError::new_err(format!("{} object has exported buffers", T::NAME)));
        }
        if cell.borrow.compare_exchange(0, -1, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return Err(borrowed_error::<T>("{} object is already borrowed"));
        }
        Ok(PyRefMut { obj, cell, _not_send: PhantomData })
    }

    /// Stores `value` (or clears with `None`) in the field `pick` selects,
    /// passing this object as the field's owner.
    pub fn set_field(&mut self, pick: impl FnOnce(&mut T) -> &mut Field, value: Option<&Obj<'_>>) {
        let py = self.py();
        let owner = self.obj.raw();
        let cell = self.cell;
        let field = pick(&mut **self);
        check_inside(cell, field);
        let h = value.map_or(lichen_abi::HPy::NULL, |v| v.raw());
        // SAFETY: the field lies in this object's payload (checked), which
        // we borrow exclusively; `owner` is that object.
        unsafe { call!(py, ctx_Field_Store(owner, field.raw_ptr(), h)) }
    }

    /// Reads a field of this object.
    pub fn get_field(&self, pick: impl FnOnce(&T) -> &Field) -> Option<Obj<'py>> {
        let field = pick(self);
        check_inside(self.cell, field);
        if field.is_empty() {
            return None;
        }
        let py = self.py();
        // SAFETY: the field lies in this object's payload (checked).
        let h = unsafe { call!(py, ctx_Field_Load(self.obj.raw(), *field.raw_ptr())) };
        py.owned(h).ok()
    }
}

impl<T: PyClass> Deref for PyRefMut<'_, '_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the exclusive borrow excludes every other reference.
        unsafe { self.cell.value_ref() }
    }
}

impl<T: PyClass> DerefMut for PyRefMut<'_, '_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the exclusive borrow excludes every other reference.
        unsafe { (*self.cell.value.get()).assume_init_mut() }
    }
}

impl<T: PyClass> Drop for PyRefMut<'_, '_, T> {
    fn drop(&mut self) {
        self.cell.borrow.store(0, Ordering::Release);
    }
}

impl<'py> Obj<'py> {
    /// Borrows the payload of an instance of a `#[pyclass]`.
    pub fn borrow<T: PyClass>(&self) -> PyResult<PyRef<'_, 'py, T>> {
        PyRef::borrow(self)
    }

    /// Borrows the payload of an instance of a `#[pyclass]` mutably.
    pub fn borrow_mut<T: PyClass>(&self) -> PyResult<PyRefMut<'_, 'py, T>> {
        PyRefMut::borrow_mut(self)
    }

    /// Whether this is an instance of the `#[pyclass]` `T`.
    pub fn is_instance_of<T: PyClass>(&self) -> bool {
        T::type_object().get(self.py()).is_some_and(|ty| self.is_instance(&ty))
    }
}

impl<'py> Python<'py> {
    /// The type object of a `#[pyclass]`.
    pub fn get_type<T: PyClass>(self) -> PyResult<Obj<'py>> {
        T::type_object().get(self).ok_or_else(|| PyTypeError::new_err(format!("class {} is not ready", T::NAME)))
    }

    /// A new instance of `T` holding `value`, made without calling the
    /// class's constructor.
    pub fn new_instance<T: PyClass>(self, value: T) -> PyResult<Obj<'py>> {
        let ty = self.get_type::<T>()?;
        // SAFETY: T's own type (the PyClass contract of `type_object`).
        unsafe { new_object_unchecked(&ty, value, true) }
    }
}

/// Allocates an object of `cls` holding `value`, without checking `cls`;
/// `exact` when `cls` is T's own type, not a subtype.
///
/// # Safety
/// `cls` must be T's type or a subtype of it (as in T's `tp_new`, which
/// the runtime calls only for those), and T's own type if `exact`.
pub(crate) unsafe fn new_object_unchecked<'py, T: PyClass>(cls: &Obj<'py>, value: T, exact: bool) -> PyResult<Obj<'py>> {
    let py = cls.py();
    let mut data: *mut core::ffi::c_void = core::ptr::null_mut();
    // SAFETY: `cls` is a live handle; HPy_New stores an address in `data`.
    let h = unsafe { call!(py, ctx_New(cls.raw(), &mut data)) };
    let obj = py.owned(h)?;
    // For T's own type `data` is the struct on every runtime. For a
    // subtype the struct is found as every later access finds it: HPy
    // 0.9's own runtime gives a Python subclass's object header as `data`,
    // not the struct (it takes such a type for a legacy one).
    let cell = if exact {
        data as *const PyCellLayout<T>
    } else {
        // SAFETY: a live handle of an instance of T's type or a subtype.
        unsafe { call!(py, ctx_AsStruct_Object(obj.raw())) as *const PyCellLayout<T> }
    };
    // SAFETY: an instance of T's type or a subtype (the caller's contract):
    // its struct is a zeroed PyCellLayout<T> that nobody shares yet.
    unsafe { (*cell).init_with(value) };
    Ok(obj)
}

impl From<core::cell::BorrowError> for PyErr {
    fn from(_: core::cell::BorrowError) -> Self {
        PyRuntimeError::new_err("already mutably borrowed")
    }
}

/// A slot method's result on its way to Python, for a slot body that has
/// its class's type object at hand (`cls`, loaded once for the receiver
/// test): a result of that class (`C`, or `PyResult<C>`) is allocated from
/// `cls` instead of loading the type again; any other result converts
/// through [`IntoPyResult`](crate::IntoPyResult). Chosen by autoref:
/// `(&ClassRet::<C, _>::new(v)).ret(py, &cls)` with both [`RetViaClass`]
/// and [`RetViaIntoPy`] in scope.
#[doc(hidden)]
pub struct ClassRet<C, V>(core::cell::Cell<Option<V>>, PhantomData<C>);

impl<C, V> ClassRet<C, V> {
    #[inline]
    pub fn new(v: V) -> Self {
        ClassRet(core::cell::Cell::new(Some(v)), PhantomData)
    }

    #[inline]
    fn take(&self) -> V {
        // Each ClassRet is made for one `ret` call, which takes it once.
        self.0.take().expect("ClassRet taken twice")
    }
}

/// The result is of the class `C` itself.
#[doc(hidden)]
pub trait RetViaClass<'py> {
    /// # Safety
    /// `cls` must be `C`'s own type object (`C::type_object()`'s).
    unsafe fn ret(&self, py: Python<'py>, cls: &Obj<'py>) -> PyResult<Obj<'py>>;
}

impl<'py, C: PyClass> RetViaClass<'py> for ClassRet<C, C> {
    #[inline]
    unsafe fn ret(&self, _py: Python<'py>, cls: &Obj<'py>) -> PyResult<Obj<'py>> {
        // SAFETY: `cls` is C's own type (this function's contract).
        unsafe { new_object_unchecked(cls, self.take(), true) }
    }
}

impl<'py, C: PyClass> RetViaClass<'py> for ClassRet<C, PyResult<C>> {
    #[inline]
    unsafe fn ret(&self, _py: Python<'py>, cls: &Obj<'py>) -> PyResult<Obj<'py>> {
        // SAFETY: `cls` is C's own type (this function's contract).
        self.take().and_then(|v| unsafe { new_object_unchecked(cls, v, true) })
    }
}

/// Any other result.
#[doc(hidden)]
pub trait RetViaIntoPy<'py> {
    /// # Safety
    /// None beyond `RetViaClass::ret`'s (kept alike for the autoref call).
    unsafe fn ret(&self, py: Python<'py>, cls: &Obj<'py>) -> PyResult<Obj<'py>>;
}

impl<'py, C, V: crate::IntoPyResult> RetViaIntoPy<'py> for &ClassRet<C, V> {
    #[inline]
    unsafe fn ret(&self, py: Python<'py>, _cls: &Obj<'py>) -> PyResult<Obj<'py>> {
        self.take().into_py_result(py)
    }
}
