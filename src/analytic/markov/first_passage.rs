//! Time to the service's first outage from all-up, on the chain with the
//! down states made absorbing.
//!
//! The mean solves (−Q_UU)·m = 1 over the up states U (Gaussian elimination;
//! −Q_UU is an M-matrix with non-negative row sums, so no pivoting is
//! needed). The probability of no outage within t is the mass left in U,
//! e_0·exp(Q_UU·t)·1, by uniformization: with Λ the largest exit rate and
//! P = I + Q_UU/Λ, it is Σ_k Poisson(k; Λt)·e_0·P^k·1.

use super::chain::Rates;
use crate::stats::special::ln_gamma;

/// Uniformization is skipped beyond this many (step × transition) operations.
const MAX_WORK: f64 = 3e8;

/// The sub-chain of up states: their transitions among themselves and
/// their total exit rates.
pub(super) struct UpChain {
    /// Per up state (in BFS order), its transitions to up states (local index).
    rows: Vec<Vec<(usize, f64)>>,
    /// Per up state, its total exit rate [1/s].
    exit: Vec<f64>,
}

impl UpChain {
    /// The up states of a chain whose state 0 is all-up; `None` when all-up is down.
    pub(super) fn new(up: &[bool], rates: &Rates) -> Option<UpChain> {
        if !up.first().copied().unwrap_or(false) {
            return None;
        }
        let mut local = vec![usize::MAX; up.len()];
        let mut n = 0;
        for (i, &u) in up.iter().enumerate() {
            if u {
                local[i] = n;
                n += 1;
            }
        }
        let mut rows = Vec::with_capacity(n);
        let mut exit = Vec::with_capacity(n);
        for (i, row) in rates.iter().enumerate() {
            if up[i] {
                exit.push(row.iter().map(|&(_, r)| r).sum());
                rows.push(
                    row.iter()
                        .filter(|&&(j, _)| up[j])
                        .map(|&(j, r)| (local[j], r))
                        .collect(),
                );
            }
        }
        Some(UpChain { rows, exit })
    }

    /// Mean time to absorption from all-up [s]; `None` when the down states
    /// cannot be reached (the service never goes down).
    pub(super) fn mean_time(&self) -> Option<f64> {
        let n = self.rows.len();
        let mut a = vec![0.0f64; n * n];
        for (i, row) in self.rows.iter().enumerate() {
            a[i * n + i] += self.exit[i];
            for &(j, r) in row {
                a[i * n + j] -= r;
            }
        }
        let mut b = vec![1.0f64; n];
        for k in 0..n {
            let pivot = a[k * n + k];
            if pivot <= 1e-300 {
                return None;
            }
            let (head, tail) = a.split_at_mut((k + 1) * n);
            let row_k = &head[k * n..(k + 1) * n];
            for i in k + 1..n {
                let f = tail[(i - k - 1) * n + k] / pivot;
                if f == 0.0 {
                    continue;
                }
                let row_i = &mut tail[(i - k - 1) * n..(i - k) * n];
                for j in k..n {
                    row_i[j] -= f * row_k[j];
                }
                b[i] -= f * b[k];
            }
        }
        let mut m = vec![0.0f64; n];
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| a[i * n + j] * m[j]).sum();
            m[i] = (b[i] - s) / a[i * n + i];
        }
        m.first().copied().filter(|x| x.is_finite() && *x > 0.0)
    }

    /// P(no outage within `t` seconds) from all-up; `None` when it would
    /// take too many uniformization steps.
    pub(super) fn survival(&self, t: f64) -> Option<f64> {
        let lambda = self.exit.iter().copied().fold(0.0, f64::max);
        if lambda <= 0.0 {
            return Some(1.0);
        }
        let lt = lambda * t;
        let steps = (lt + 10.0 * lt.sqrt() + 20.0).ceil();
        let nnz: usize = self.rows.iter().map(|r| r.len() + 1).sum();
        if steps * nnz as f64 > MAX_WORK {
            return None;
        }
        let n = self.rows.len();
        let mut v = vec![0.0f64; n];
        v[0] = 1.0;
        let mut next = vec![0.0f64; n];
        let mut total = 0.0;
        for k in 0..steps as u64 {
            let ln_w = -lt + k as f64 * lt.ln() - ln_gamma(k as f64 + 1.0);
            let w = ln_w.exp();
            if w > 0.0 {
                total += w * v.iter().sum::<f64>();
            }
            // v ← v·P, P = I + Q_UU/Λ.
            for (i, x) in next.iter_mut().enumerate() {
                *x = v[i] * (1.0 - self.exit[i] / lambda);
            }
            for (i, row) in self.rows.iter().enumerate() {
                for &(j, r) in row {
                    next[j] += v[i] * r / lambda;
                }
            }
            std::mem::swap(&mut v, &mut next);
        }
        Some(total.clamp(0.0, 1.0))
    }
}
