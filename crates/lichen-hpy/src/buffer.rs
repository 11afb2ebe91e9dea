//! Buffer export (`__getbuffer__`): a class lends a read-only view of a
//! slice inside its payload. While a view exists the payload cannot be
//! borrowed mutably (a BufferError), so the memory stays put and unchanged.

use crate::class::{PyCellLayout, PyClass, PyRef};
use crate::err::PyResult;
use crate::exceptions::PyBufferError;
use crate::glue::RawBuffer;
use crate::object::{call, Obj};
use core::ffi::{c_char, c_int};

/// Element types a buffer can hold, with their `struct` format.
pub trait BufferElement: Copy + Send + Sync + 'static {
    const FORMAT: &'static core::ffi::CStr;
}

macro_rules! elements {
    ($($t:ty = $f:literal),*) => {$(
        impl BufferElement for $t { const FORMAT: &'static core::ffi::CStr = $f; }
    )*};
}
elements!(u8 = c"B", i8 = c"b", u16 = c"H", i16 = c"h", u32 = c"I", i32 = c"i", u64 = c"Q", i64 = c"q", f32 = c"f", f64 = c"d");

const PYBUF_WRITABLE: c_int = 0x0001;
const PYBUF_FORMAT: c_int = 0x0004;
const PYBUF_ND: c_int = 0x0008;
const PYBUF_STRIDES: c_int = 0x0010 | PYBUF_ND;

/// What the view owns until it is released: its shape and strides.
struct ViewData {
    shape: [isize; 1],
    strides: [isize; 1],
}

/// Fills `view` with a read-only view of `data`, which `slf`'s payload
/// (borrowed as `this`) holds. Called by the generated bf_getbuffer.
pub fn export<T: PyClass, E: BufferElement>(
    this: &PyRef<'_, '_, T>,
    view: RawBuffer,
    flags: c_int,
    pick: impl FnOnce(&T) -> &[E],
) -> PyResult<c_int> {
    if flags & PYBUF_WRITABLE != 0 {
        return Err(PyBufferError::new_err(format!("{} buffers are read-only", T::NAME)));
    }
    let data = pick(this);
    let slf: &Obj<'_> = this.as_obj();
    let size = core::mem::size_of::<E>() as isize;
    let internal = Box::into_raw(Box::new(ViewData { shape: [data.len() as isize], strides: [size] }));
    let want = |bit: c_int| flags & bit == bit;
    // SAFETY: `view` is the HPy_buffer the runtime passed to bf_getbuffer.
    // `data` lies in the payload, which cannot be borrowed mutably (nor
    // dropped: the view holds a reference) until the view is released;
    // the shape and strides live in `internal` until then.
    unsafe {
        let v = &mut *view.0;
        v.buf = data.as_ptr() as *mut core::ffi::c_void;
        v.obj = call!(slf.py(), ctx_Dup(slf.raw()));
        v.len = data.len() as isize * size;
        v.itemsize = size;
        v.readonly = 1;
        v.ndim = 1;
        v.format = if want(PYBUF_FORMAT) { E::FORMAT.as_ptr() as *mut c_char } else { core::ptr::null_mut() };
        v.shape = if want(PYBUF_ND) { (*internal).shape.as_mut_ptr() } else { core::ptr::null_mut() };
        v.strides = if want(PYBUF_STRIDES) { (*internal).strides.as_mut_ptr() } else { core::ptr::null_mut() };
        v.suboffsets = core::ptr::null_mut();
        v.internal = internal.cast();
    }
    cell(this).begin_export();
    Ok(0)
}

fn cell<'a, T: PyClass>(this: &PyRef<'a, '_, T>) -> &'a PyCellLayout<T> {
    this.cell()
}

/// Ends a view `export` made (the generated bf_releasebuffer).
pub fn release<T: PyClass>(slf: &Obj<'_>, view: RawBuffer) -> PyResult<()> {
    let this = PyRef::<T>::borrow(slf)?;
    // SAFETY: `view` is the HPy_buffer `export` filled; its `internal` is
    // the ViewData box made there, freed once here.
    unsafe {
        let v = &mut *view.0;
        if !v.internal.is_null() {
            drop(Box::from_raw(v.internal.cast::<ViewData>()));
            v.internal = core::ptr::null_mut();
        }
    }
    this.cell().end_export();
    Ok(())
}
