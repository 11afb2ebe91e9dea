//! A 1-D array of floats: built from a list, `*` and `/` by a number, `+`
//! and `-` of two arrays, indexing, `len`: the operations of piconumpy's
//! Runge-Kutta benchmark.

use lichen_hpy::hpymodule;

/// 1-D float arrays (piconumpy's shape).
#[hpymodule]
pub mod piconumpy_hpy {
    use lichen_hpy::prelude::*;

    /// A 1-D array of floats.
    #[pyclass(name = "array")]
    pub struct Array1D {
        data: Vec<f64>,
    }

    impl Array1D {
        fn map(&self, f: impl Fn(f64) -> f64) -> Array1D {
            Array1D { data: self.data.iter().map(|&v| f(v)).collect() }
        }

        fn zip(&self, other: &Obj<'_>, f: impl Fn(f64, f64) -> f64) -> PyResult<Array1D> {
            let other = other.borrow::<Array1D>()?;
            if other.data.len() != self.data.len() {
                return Err(PyValueError::new_err(format!(
                    "operands could not be broadcast together with shapes ({},) ({},)",
                    self.data.len(),
                    other.data.len()
                )));
            }
            Ok(Array1D { data: self.data.iter().zip(&other.data).map(|(&a, &b)| f(a, b)).collect() })
        }

        fn index(&self, i: isize) -> PyResult<usize> {
            let n = self.data.len() as isize;
            let j = if i < 0 { i + n } else { i };
            if (0..n).contains(&j) {
                Ok(j as usize)
            } else {
                Err(PyIndexError::new_err("index out of range"))
            }
        }
    }

    #[pymethods]
    impl Array1D {
        #[new]
        fn new(data: Vec<f64>) -> Self {
            Array1D { data }
        }

        fn __len__(&self) -> usize {
            self.data.len()
        }

        fn __getitem__(&self, i: isize) -> PyResult<f64> {
            Ok(self.data[self.index(i)?])
        }

        fn __setitem__(&mut self, i: isize, v: f64) -> PyResult<()> {
            let j = self.index(i)?;
            self.data[j] = v;
            Ok(())
        }

        fn __mul__(&self, k: f64) -> Array1D {
            self.map(|v| v * k)
        }

        fn __rmul__(&self, k: f64) -> Array1D {
            self.map(|v| k * v)
        }

        fn __truediv__(&self, k: f64) -> Array1D {
            self.map(|v| v / k)
        }

        fn __add__(&self, other: &Obj<'_>) -> PyResult<Array1D> {
            self.zip(other, |a, b| a + b)
        }

        fn __sub__(&self, other: &Obj<'_>) -> PyResult<Array1D> {
            self.zip(other, |a, b| a - b)
        }

        fn __neg__(&self) -> Array1D {
            self.map(|v| -v)
        }

        fn __repr__(&self) -> String {
            let items: Vec<String> = self.data.iter().map(|v| format!("{v:?}")).collect();
            format!("array([{}])", items.join(", "))
        }

        /// The values as a list.
        fn tolist(&self) -> Vec<f64> {
            self.data.clone()
        }

        #[getter]
        fn size(&self) -> usize {
            self.data.len()
        }
    }

    /// `array(data)`, as piconumpy spells its constructor.
    #[pyfunction]
    fn zeros(n: usize) -> Array1D {
        Array1D { data: vec![0.0; n] }
    }
}
