//! The benchmark bodies behind lichen-hpy.
use lichen_hpy::hpymodule;

#[path = "../../bodies.rs"]
mod bodies;

#[hpymodule]
mod rbench_hpy {
    use super::bodies;
    use lichen_hpy::prelude::*;

    #[pyfunction]
    fn noargs() {}

    #[pyfunction]
    fn onearg<'py>(x: &Obj<'py>) -> Obj<'py> {
        x.clone()
    }

    #[pyfunction]
    #[hpy(signature = (a, b, c = 1, d = 2))]
    fn several(a: i64, b: i64, c: i64, d: i64) -> i64 {
        bodies::several(a, b, c, d)
    }

    #[pyclass]
    struct Point {
        p: bodies::Point,
    }

    #[pymethods]
    impl Point {
        #[new]
        fn new(x: f64, y: f64) -> Self {
            Point { p: bodies::Point { x, y } }
        }

        fn norm(&self) -> f64 {
            self.p.norm()
        }

        #[getter]
        fn x(&self) -> f64 {
            self.p.x
        }

        fn __add__(&self, other: &Obj<'_>) -> PyResult<Point> {
            Ok(Point { p: self.p.add(&other.borrow::<Point>()?.p) })
        }
    }

    #[pyclass(name = "array")]
    struct Array1D {
        data: Vec<f64>,
    }

    #[pymethods]
    impl Array1D {
        #[new]
        fn new(data: Vec<f64>) -> Self {
            Array1D { data }
        }

        fn __mul__(&self, k: f64) -> Array1D {
            Array1D { data: bodies::scale(&self.data, k) }
        }

        fn __rmul__(&self, k: f64) -> Array1D {
            Array1D { data: bodies::scale(&self.data, k) }
        }

        fn __truediv__(&self, k: f64) -> Array1D {
            Array1D { data: bodies::divide(&self.data, k) }
        }

        fn __add__(&self, other: &Obj<'_>) -> PyResult<Array1D> {
            let other = other.borrow::<Array1D>()?;
            bodies::add(&self.data, &other.data).map(|data| Array1D { data }).ok_or_else(|| PyValueError::new_err("shapes differ"))
        }

        fn __getitem__(&self, i: usize) -> f64 {
            self.data[i]
        }

        fn __len__(&self) -> usize {
            self.data.len()
        }
    }
}
