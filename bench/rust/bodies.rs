//! The function and class bodies both benchmark extensions share: the
//! bindings differ, the work does not.

pub fn several(a: i64, b: i64, c: i64, d: i64) -> i64 {
    a + 2 * b + 3 * c + 4 * d
}

#[derive(Clone, Copy)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn norm(&self) -> f64 {
        self.x.hypot(self.y)
    }

    pub fn add(&self, o: &Point) -> Point {
        Point { x: self.x + o.x, y: self.y + o.y }
    }
}

pub fn scale(v: &[f64], k: f64) -> Vec<f64> {
    v.iter().map(|a| a * k).collect()
}

pub fn divide(v: &[f64], k: f64) -> Vec<f64> {
    v.iter().map(|a| a / k).collect()
}

pub fn add(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    (a.len() == b.len()).then(|| a.iter().zip(b).map(|(x, y)| x + y).collect())
}
