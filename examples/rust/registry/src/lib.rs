//! A small registry of named entries that shows the stored-reference
//! kinds: an entry keeps its Python value and a link to another entry in
//! `Field`s (the GC sees them, cycles are collected), the module keeps a
//! default entry in a `Global`, lookups fail with a custom exception, and a
//! `Samples` object exports its floats through the buffer protocol.

use lichen_hpy::hpymodule;

/// A registry of named entries.
#[hpymodule]
pub mod registry {
    use lichen_hpy::prelude::*;

    /// The entry `default()` returns.
    static DEFAULT: Global = Global::new();

    /// Raised when a name is not registered.
    #[pyexception(base = PyKeyError)]
    pub struct NotRegistered;

    /// A named value, optionally linked to another entry.
    #[pyclass(subclass)]
    pub struct Entry {
        #[hpy(get)]
        name: String,
        value: Field,
        link: Field,
    }

    #[pymethods]
    impl Entry {
        #[new]
        fn new(name: String) -> Entry {
            Entry { name, value: Field::new(), link: Field::new() }
        }

        /// The stored value (None until set).
        #[getter]
        fn value<'py>(slf: PyRef<'_, 'py, Self>) -> Option<Obj<'py>> {
            slf.value.get(&slf)
        }

        #[setter]
        fn set_value(mut slf: PyRefMut<'_, '_, Self>, v: &Obj<'_>) {
            slf.set_field(|e| &mut e.value, Some(v));
        }

        /// The linked entry (None if unlinked).
        #[getter]
        fn link<'py>(slf: PyRef<'_, 'py, Self>) -> Option<Obj<'py>> {
            slf.link.get(&slf)
        }

        #[setter]
        fn set_link(mut slf: PyRefMut<'_, '_, Self>, other: &Obj<'_>) -> PyResult<()> {
            if !other.is_none() && !other.is_instance_of::<Entry>() {
                return Err(PyTypeError::new_err("link must be an Entry or None"));
            }
            let target = if other.is_none() { None } else { Some(other) };
            slf.set_field(|e| &mut e.link, target);
            Ok(())
        }

        /// Follows the links from this entry, `n` steps.
        fn follow<'py>(slf: &Obj<'py>, n: usize) -> PyResult<Obj<'py>> {
            let mut cur = slf.clone();
            for _ in 0..n {
                let next = {
                    let entry = cur.borrow::<Entry>()?;
                    entry.link.get(&entry)
                };
                cur = next.ok_or_else(|| NotRegistered::new_err("the chain ends early"))?;
            }
            Ok(cur)
        }

        fn __repr__(&self) -> String {
            format!("Entry({:?})", self.name)
        }
    }

    /// Floats exported as a read-only buffer (`memoryview(s)`), which
    /// cannot grow while a view exists.
    #[pyclass]
    pub struct Samples {
        data: Vec<f64>,
    }

    #[pymethods]
    impl Samples {
        #[new]
        #[hpy(signature = (*values))]
        fn new(values: Vec<f64>) -> Samples {
            Samples { data: values }
        }

        fn append(&mut self, v: f64) {
            self.data.push(v);
        }

        fn __len__(&self) -> usize {
            self.data.len()
        }

        fn __getbuffer__(&self) -> &[f64] {
            &self.data
        }

        /// The sum, computed with the interpreter released.
        fn total(&self, py: Python<'_>) -> f64 {
            let data = self.data.clone();
            py.allow_threads(move || data.iter().sum())
        }
    }

    /// Makes `entry` the default.
    #[pyfunction]
    fn set_default(py: Python<'_>, entry: &Obj<'_>) -> PyResult<()> {
        if !entry.is_instance_of::<Entry>() {
            return Err(PyTypeError::new_err("expected an Entry"));
        }
        DEFAULT.set(py, entry);
        Ok(())
    }

    /// The default entry; NotRegistered before `set_default`.
    #[pyfunction]
    fn default(py: Python<'_>) -> PyResult<Obj<'_>> {
        DEFAULT.get(py).ok_or_else(|| NotRegistered::new_err("no default entry"))
    }

    /// Looks `name` up in a dict of entries.
    #[pyfunction]
    fn lookup<'py>(table: &Obj<'py>, name: String) -> PyResult<Obj<'py>> {
        if !table.contains(&name)? {
            return Err(NotRegistered::new_err(format!("{name:?} is not registered")));
        }
        table.get_item(&name)
    }
}
