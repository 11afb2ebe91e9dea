use lichen_hpy::hpymodule;

/// HPy c++ Proof of Concept
#[hpymodule]
pub mod pofcpp {
    use lichen_hpy::prelude::*;

    #[pyfunction]
    fn do_nothing() {}

    /// `obj + obj`, for any object that supports `+`.
    #[pyfunction(name = "double")]
    fn double_obj<'py>(obj: &Obj<'py>) -> PyResult<Obj<'py>> {
        obj.add(obj)
    }

    #[pyfunction]
    #[hpy(signature = (a, b, /))]
    fn add_ints(a: i64, b: i64) -> i64 {
        a + b
    }

    #[pyfunction]
    #[hpy(signature = (a, b))]
    fn add_ints_kw(a: i64, b: i64) -> i64 {
        a + b
    }

    #[pyclass]
    struct Point {
        x: f64,
        y: f64,
    }

    #[pymethods]
    impl Point {
        #[new]
        fn new(x: f64, y: f64) -> Self {
            Point { x, y }
        }

        fn __repr__(&self) -> String {
            format!("Point({}, {})", g(self.x), g(self.y))
        }
    }

    /// C's `%g` for the values the test uses: integral values without a
    /// fractional part.
    fn g(v: f64) -> String {
        if v.fract() == 0.0 && v.abs() < 1e16 { format!("{}", v as i64) } else { format!("{v}") }
    }
}
