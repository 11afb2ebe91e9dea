//! CPython operations behind the number context functions.

use super::*;
use core::ffi::c_void;
use lichen_core::host::{BinaryOp, NumberHost, UnaryOp};

impl NumberHost for CPython {
    c_api_calls! {
        fn long_from_i64(py, v: i64) -> HPy = PyLong_FromLongLong;
        fn long_from_u64(py, v: u64) -> HPy = PyLong_FromUnsignedLongLong;
        fn long_from_isize(py, v: isize) -> HPy = PyLong_FromSsize_t;
        fn long_from_usize(py, v: usize) -> HPy = PyLong_FromSize_t;
        fn long_as_i64(py, h) -> i64 = PyLong_AsLongLong;
        fn long_as_u64(py, h) -> u64 = PyLong_AsUnsignedLongLong;
        fn long_as_u64_mask(py, h) -> u64 = PyLong_AsUnsignedLongLongMask;
        fn long_as_isize(py, h) -> isize = PyLong_AsSsize_t;
        fn long_as_usize(py, h) -> usize = PyLong_AsSize_t;
        fn long_as_ptr(py, h) -> *mut c_void = PyLong_AsVoidPtr;
        fn long_as_f64(py, h) -> f64 = PyLong_AsDouble;
        fn float_from_f64(py, v: f64) -> HPy = PyFloat_FromDouble;
    }

    #[inline]
    fn float_as_f64(_py: Python<'_>, h: HPy) -> f64 {
        let o = h2py(h);
        // SAFETY: `_py` proves the GIL is held; `h` is a live handle. An exact float's
        // value is read in place, as `PyFloat_AsDouble` does; for an exact
        // int, `PyFloat_AsDouble` calls int's `nb_float`, which is
        // `PyLong_AsDouble` made into a float (same value, same
        // OverflowError), so the float is not made. Anything else (NULL
        // included) goes to `PyFloat_AsDouble`.
        unsafe {
            if !o.is_null() {
                let tp = ffi::Py_TYPE(o);
                if tp == &raw mut ffi::PyFloat_Type {
                    return (*o.cast::<ffi::PyFloatObject>()).ob_fval;
                }
                if tp == &raw mut ffi::PyLong_Type {
                    return ffi::PyLong_AsDouble(o);
                }
            }
            ffi::PyFloat_AsDouble(o)
        }
    }

    #[inline]
    fn bool_from_bool(py: Python<'_>, v: bool) -> HPy {
        // SAFETY: `py` proves the GIL is held; True and False live forever.
        unsafe { new_ref(py, if v { ffi::Py_True() } else { ffi::Py_False() }) }
    }

    #[inline]
    fn number_check(_py: Python<'_>, h: HPy) -> bool {
        // SAFETY: `_py` proves the GIL is held; `h` is a live handle.
        unsafe { ffi::PyNumber_Check(h2py(h)) != 0 }
    }

    #[inline]
    fn binary_op(_py: Python<'_>, op: BinaryOp, a: HPy, b: HPy) -> HPy {
        use ffi::*;
        let f = match op {
            BinaryOp::Add => PyNumber_Add,
            BinaryOp::Subtract => PyNumber_Subtract,
            BinaryOp::Multiply => PyNumber_Multiply,
            BinaryOp::MatrixMultiply => PyNumber_MatrixMultiply,
            BinaryOp::FloorDivide => PyNumber_FloorDivide,
            BinaryOp::TrueDivide => PyNumber_TrueDivide,
            BinaryOp::Remainder => PyNumber_Remainder,
            BinaryOp::Divmod => PyNumber_Divmod,
            BinaryOp::Lshift => PyNumber_Lshift,
            BinaryOp::Rshift => PyNumber_Rshift,
            BinaryOp::And => PyNumber_And,
            BinaryOp::Xor => PyNumber_Xor,
            BinaryOp::Or => PyNumber_Or,
            BinaryOp::InPlaceAdd => PyNumber_InPlaceAdd,
            BinaryOp::InPlaceSubtract => PyNumber_InPlaceSubtract,
            BinaryOp::InPlaceMultiply => PyNumber_InPlaceMultiply,
            BinaryOp::InPlaceMatrixMultiply => PyNumber_InPlaceMatrixMultiply,
            BinaryOp::InPlaceFloorDivide => PyNumber_InPlaceFloorDivide,
            BinaryOp::InPlaceTrueDivide => PyNumber_InPlaceTrueDivide,
            BinaryOp::InPlaceRemainder => PyNumber_InPlaceRemainder,
            BinaryOp::InPlaceLshift => PyNumber_InPlaceLshift,
            BinaryOp::InPlaceRshift => PyNumber_InPlaceRshift,
            BinaryOp::InPlaceAnd => PyNumber_InPlaceAnd,
            BinaryOp::InPlaceXor => PyNumber_InPlaceXor,
            BinaryOp::InPlaceOr => PyNumber_InPlaceOr,
        };
        // SAFETY: `_py` proves the GIL is held; both handles are live.
        unsafe { py2h(f(h2py(a), h2py(b))) }
    }

    #[inline]
    fn unary_op(py: Python<'_>, op: UnaryOp, a: HPy) -> HPy {
        use ffi::*;
        let f = match op {
            UnaryOp::Negative => PyNumber_Negative,
            UnaryOp::Positive => PyNumber_Positive,
            UnaryOp::Absolute => PyNumber_Absolute,
            UnaryOp::Invert => PyNumber_Invert,
            UnaryOp::Index => PyNumber_Index,
            UnaryOp::Long => PyNumber_Long,
            UnaryOp::Float => PyNumber_Float,
        };
        call_unary(py, f, a)
    }

    #[inline]
    fn power(_py: Python<'_>, a: HPy, b: HPy, c: HPy, in_place: bool) -> HPy {
        let f = if in_place { ffi::PyNumber_InPlacePower } else { ffi::PyNumber_Power };
        // SAFETY: `_py` proves the GIL is held; the handles are live (`c` is None for
        // two-argument pow, as in CPython).
        unsafe { py2h(f(h2py(a), h2py(b), h2py(c))) }
    }
}
