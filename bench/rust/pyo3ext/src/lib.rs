//! The benchmark bodies behind PyO3.
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

#[path = "../../bodies.rs"]
mod bodies;

#[pyfunction]
fn noargs() {}

#[pyfunction]
fn onearg(x: Bound<'_, PyAny>) -> Bound<'_, PyAny> {
    x
}

#[pyfunction]
#[pyo3(signature = (a, b, c = 1, d = 2))]
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

    fn __add__(&self, other: PyRef<'_, Point>) -> Point {
        Point { p: self.p.add(&other.p) }
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

    fn __add__(&self, other: PyRef<'_, Array1D>) -> PyResult<Array1D> {
        bodies::add(&self.data, &other.data).map(|data| Array1D { data }).ok_or_else(|| PyValueError::new_err("shapes differ"))
    }

    fn __getitem__(&self, i: usize) -> f64 {
        self.data[i]
    }

    fn __len__(&self) -> usize {
        self.data.len()
    }
}

#[pymodule]
fn rbench_pyo3(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(noargs, m)?)?;
    m.add_function(wrap_pyfunction!(onearg, m)?)?;
    m.add_function(wrap_pyfunction!(several, m)?)?;
    m.add_class::<Point>()?;
    m.add_class::<Array1D>()?;
    Ok(())
}
