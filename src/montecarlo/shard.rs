//! `--shard I/N`: which slice of the trial indices this process runs, from
//! the argument or from the variables batch systems set for array tasks.

use std::fmt;

/// One slice of a run: trial `i` belongs to shard `i % count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// This shard's number, `0..count`.
    pub index: u64,
    /// How many shards the run is split into.
    pub count: u64,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Largest shard count accepted (a typo guard, far above any real array).
pub const MAX_SHARDS: u64 = 1_000_000;

impl Shard {
    /// Whether trial `i` is this shard's.
    pub fn holds(&self, i: u64) -> bool {
        i % self.count == self.index
    }

    /// Reads `I/N`, `auto/N` or `auto`. `auto` takes the index (and, when
    /// not given, the count) from `env`, the first of: `JOB_COMPLETION_INDEX`
    /// (Kubernetes Indexed Job, count from `auto/N`), `SLURM_ARRAY_TASK_ID`
    /// (minus `SLURM_ARRAY_TASK_MIN`, over `SLURM_ARRAY_TASK_STEP`) with
    /// `SLURM_ARRAY_TASK_COUNT`, `AWS_BATCH_JOB_ARRAY_INDEX` with
    /// `AWS_BATCH_JOB_ARRAY_SIZE`, `CLOUD_RUN_TASK_INDEX` with
    /// `CLOUD_RUN_TASK_COUNT`.
    pub fn parse(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let (index, count) = match s.trim().split_once('/') {
            Some((i, n)) => (i.trim(), Some(n.trim())),
            None => (s.trim(), None),
        };
        let count = count
            .map(|n| number(n, "the shard count N in --shard I/N"))
            .transpose()?;
        let shard = if index == "auto" {
            from_env(env, count)?
        } else {
            let count = count
                .ok_or_else(|| format!("--shard '{s}' must be I/N (e.g. 0/4), auto/N or auto"))?;
            Shard {
                index: number(index, "the shard index I in --shard I/N")?,
                count,
            }
        };
        if shard.count == 0 || shard.count > MAX_SHARDS {
            return Err(format!(
                "--shard {shard}: the shard count must be between 1 and {MAX_SHARDS}"
            ));
        }
        if shard.index >= shard.count {
            return Err(format!(
                "--shard {shard}: the index must be below the count (shards are numbered from 0)"
            ));
        }
        Ok(shard)
    }
}

fn number(s: &str, what: &str) -> Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number for {what}"))
}

/// The shard the batch system's variables name; `count` is `N` of `auto/N`.
fn from_env(env: &dyn Fn(&str) -> Option<String>, count: Option<u64>) -> Result<Shard, String> {
    let read = |var: &str| -> Result<Option<u64>, String> {
        env(var).map(|v| number(&v, &format!("${var}"))).transpose()
    };
    // (index variable, count variable) of each batch system, in order.
    let systems: [(&str, Option<&str>); 4] = [
        ("JOB_COMPLETION_INDEX", None),
        ("SLURM_ARRAY_TASK_ID", Some("SLURM_ARRAY_TASK_COUNT")),
        (
            "AWS_BATCH_JOB_ARRAY_INDEX",
            Some("AWS_BATCH_JOB_ARRAY_SIZE"),
        ),
        ("CLOUD_RUN_TASK_INDEX", Some("CLOUD_RUN_TASK_COUNT")),
    ];
    for (index_var, count_var) in systems {
        let Some(mut index) = read(index_var)? else {
            continue;
        };
        if index_var == "SLURM_ARRAY_TASK_ID" {
            // Arrays such as --array=1-8 or 0-14:2 number tasks from MIN by STEP.
            let min = read("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = read("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            index = index.checked_sub(min).ok_or_else(|| {
                format!("$SLURM_ARRAY_TASK_ID {index} is below $SLURM_ARRAY_TASK_MIN {min}")
            })? / step;
        }
        let env_count = count_var.map(read).transpose()?.flatten();
        let count = match (count, env_count) {
            (Some(n), Some(m)) if n != m => {
                return Err(format!(
                    "--shard auto/{n} disagrees with ${} = {m}",
                    count_var.unwrap_or_default()
                ));
            }
            (Some(n), _) | (None, Some(n)) => n,
            (None, None) => {
                return Err(format!(
                    "--shard auto: ${index_var} gives the index but nothing gives the count; write --shard auto/N"
                ));
            }
        };
        return Ok(Shard { index, count });
    }
    Err(
        "--shard auto: none of $JOB_COMPLETION_INDEX, $SLURM_ARRAY_TASK_ID, \
         $AWS_BATCH_JOB_ARRAY_INDEX, $CLOUD_RUN_TASK_INDEX is set; give --shard I/N"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn explicit_and_from_batch_systems() {
        let none = env(&[]);
        assert_eq!(Shard::parse("2/4", &none), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("4/4", &none).is_err());
        assert!(Shard::parse("0/0", &none).is_err());
        assert!(Shard::parse("auto", &none).is_err());
        let k8s = env(&[("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(
            Shard::parse("auto/8", &k8s),
            Ok(Shard { index: 3, count: 8 })
        );
        assert!(Shard::parse("auto", &k8s).is_err());
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ]);
        assert_eq!(
            Shard::parse("auto", &slurm),
            Ok(Shard { index: 4, count: 8 })
        );
        assert!(Shard::parse("auto/4", &slurm).is_err());
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::parse("auto", &stepped),
            Ok(Shard { index: 3, count: 4 })
        );
        let aws = env(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "2"),
        ]);
        assert_eq!(Shard::parse("auto", &aws), Ok(Shard { index: 0, count: 2 }));
        let run = env(&[("CLOUD_RUN_TASK_INDEX", "1"), ("CLOUD_RUN_TASK_COUNT", "3")]);
        assert_eq!(Shard::parse("auto", &run), Ok(Shard { index: 1, count: 3 }));
    }
}
