//! The stationary distribution of a small continuous-time Markov chain.

use super::NotMarkov;

/// The stationary distribution of an irreducible chain given by its
/// off-diagonal rates, by the Grassmann-Taksar-Heyman algorithm.
pub(super) fn gth(n: usize, rates: &[Vec<(usize, f64)>]) -> Result<Vec<f64>, NotMarkov> {
    let mut a = vec![0.0f64; n * n];
    for (i, row) in rates.iter().enumerate() {
        for &(j, r) in row {
            a[i * n + j] += r;
        }
    }
    // Censor states n-1, ..., 1 in turn; the diagonal is never read.
    for k in (1..n).rev() {
        let s: f64 = a[k * n..k * n + k].iter().sum();
        if s <= 0.0 {
            return Err(NotMarkov::NotIrreducible);
        }
        let (head, tail) = a.split_at_mut(k * n);
        let row_k = &tail[..k];
        for i in 0..k {
            let aik = head[i * n + k] / s;
            if aik == 0.0 {
                continue;
            }
            head[i * n + k] = aik;
            for (x, &y) in head[i * n..i * n + k].iter_mut().zip(row_k) {
                *x += aik * y;
            }
        }
    }
    let mut pi = vec![0.0; n];
    pi[0] = 1.0;
    for k in 1..n {
        pi[k] = (0..k).map(|i| pi[i] * a[i * n + k]).sum();
        if pi[k] <= 0.0 {
            return Err(NotMarkov::NotIrreducible);
        }
    }
    let total: f64 = pi.iter().sum();
    Ok(pi.into_iter().map(|p| p / total).collect())
}
