//! `zipimport-bench merge`: the results of `run --shard K/N` runs combined into one
//! results file, as if one run had measured every case.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::{Results, set_ratios};

/// Merges shard results. Refuses files from different harness versions or builds,
/// different interpreters, a scenario whose file differs between shards, and shards
/// that overlap (a case in two files). Returns the merged results and warnings (shards
/// missing from a K/N set).
pub fn merge(inputs: &[(PathBuf, Results)]) -> Result<(Results, Vec<String>)> {
    let Some((first_path, first)) = inputs.first() else {
        bail!("nothing to merge");
    };
    // Whole runs are compared or charted, not merged: merging one would only copy it,
    // and two would claim one run measured both.
    for (path, r) in inputs {
        let sharded =
            !r.metadata.shards.is_empty() || r.scenarios.iter().any(|s| s.shard.is_some());
        if !sharded {
            bail!(
                "{} is not a shard (it was not measured with `run --shard K/N`): merge \
                 combines shards into one run; compare or history take whole runs",
                path.display()
            );
        }
    }
    let mut merged = first.clone();
    merged.scenarios.clear();
    merged.cases.clear();
    merged.fleet.clear();
    merged.hot_updates.clear();
    let mut seen = HashSet::new();
    let mut shard_runs = Vec::new();
    for (path, r) in inputs {
        // The shard this file measured (a file merged before keeps its own list).
        let shard = r.scenarios.iter().find_map(|s| s.shard);
        match shard {
            _ if !r.metadata.shards.is_empty() => {
                shard_runs.extend(r.metadata.shards.iter().cloned());
            }
            Some(k) => shard_runs.push(super::ShardRun {
                shard: k,
                started_at: r.metadata.started_at.clone(),
                host: r.metadata.host.clone(),
                python: r.metadata.python.clone(),
            }),
            None => {}
        }
        compatible(first_path, first, path, r)?;
        for s in &r.scenarios {
            match merged.scenarios.iter_mut().find(|m| m.name == s.name) {
                Some(m) if m.sha256 != s.sha256 => bail!(
                    "scenario {} comes from different files: sha256 {} in one shard, {} in {}",
                    s.name,
                    &m.sha256[..12.min(m.sha256.len())],
                    &s.sha256[..12.min(s.sha256.len())],
                    path.display()
                ),
                Some(m) => m.generate_s += s.generate_s,
                None => {
                    let mut s = s.clone();
                    s.shard = None;
                    merged.scenarios.push(s);
                }
            }
        }
        for c in &r.cases {
            let key = (c.scenario.clone(), c.variant, c.mode);
            if !seen.insert(key) {
                bail!(
                    "case {}/{}/{} is in more than one file ({} among them): the shards \
                     overlap",
                    c.scenario,
                    c.variant,
                    c.mode,
                    path.display()
                );
            }
            let mut c = c.clone();
            if c.shard.is_none() {
                c.shard = r
                    .scenarios
                    .iter()
                    .find(|s| s.name == c.scenario)
                    .and_then(|s| s.shard);
            }
            merged.cases.push(c);
        }
        merged.fleet.extend(r.fleet.iter().cloned().map(|mut f| {
            if f.shard.is_none() {
                f.shard = shard;
            }
            f
        }));
        merged.hot_updates.extend(r.hot_updates.iter().cloned());
        let m = &mut merged.metadata;
        if r.metadata.started_at < m.started_at {
            m.started_at.clone_from(&r.metadata.started_at);
        }
        if r.metadata.finished_at > m.finished_at {
            m.finished_at.clone_from(&r.metadata.finished_at);
        }
        m.complete &= r.metadata.complete;
    }
    merged.metadata.duration_s = inputs.iter().map(|(_, r)| r.metadata.duration_s).sum();
    // One quota (checked above); what each shard's group counted, added up.
    if let Some(q) = merged.metadata.cpu_quota.as_mut() {
        let all = || {
            inputs
                .iter()
                .filter_map(|(_, r)| r.metadata.cpu_quota.as_ref())
        };
        q.periods = all().map(|x| x.periods).sum();
        q.throttled_periods = all().map(|x| x.throttled_periods).sum();
        q.throttled_s = all().map(|x| x.throttled_s).sum();
        q.cpu_s = all().map(|x| x.cpu_s).sum();
    }
    shard_runs.sort_by_key(|s| s.shard);
    merged.metadata.shards = shard_runs;

    // Cases in scenario order, then variant and mode; ratios against references that
    // another shard may have measured.
    let order = |name: &str| merged.scenarios.iter().position(|s| s.name == name);
    let mut cases = std::mem::take(&mut merged.cases);
    cases.sort_by_cached_key(|c| (order(&c.scenario), c.variant.id(), c.mode));
    for s in &merged.scenarios {
        let mut mine: Vec<_> = cases
            .iter()
            .filter(|c| c.scenario == s.name)
            .cloned()
            .collect();
        set_ratios(&mut mine, s.reference);
        merged.cases.extend(mine);
    }

    let warnings = missing_shards(inputs);
    Ok((merged, warnings))
}

/// A warning for every shard of an N-way split that is not among the inputs.
fn missing_shards(inputs: &[(PathBuf, Results)]) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut shards: Vec<(u32, u32)> = Vec::new();
    for (_, r) in inputs {
        for s in &r.scenarios {
            if let Some(k) = s.shard
                && !shards.contains(&k)
            {
                shards.push(k);
            }
        }
    }
    for n in shards.iter().map(|s| s.1).collect::<BTreeSet<_>>() {
        let missing: Vec<String> = (1..=n)
            .filter(|k| !shards.contains(&(*k, n)))
            .map(|k| format!("{k}/{n}"))
            .collect();
        if !missing.is_empty() {
            warnings.push(format!(
                "shard(s) {} not among the inputs: the merged results lack their cases",
                missing.join(", ")
            ));
        }
    }
    warnings
}

/// Refuses to merge results of different harness versions or Python versions.
fn compatible(first_path: &Path, first: &Results, path: &Path, r: &Results) -> Result<()> {
    let (a, b) = (&first.metadata.harness, &r.metadata.harness);
    if a.version != b.version || a.git_commit != b.git_commit {
        bail!(
            "{} was written by zipimport-bench {} ({}) but {} by {} ({}): results of \
             different harness versions cannot be merged",
            first_path.display(),
            a.version,
            a.git_commit.as_deref().unwrap_or("no commit"),
            path.display(),
            b.version,
            b.git_commit.as_deref().unwrap_or("no commit")
        );
    }
    let quota = |r: &Results| {
        r.metadata
            .cpu_quota
            .as_ref()
            .map_or("no CPU quota".to_string(), |q| {
                format!("a CPU quota of {} CPU", q.cpus)
            })
    };
    if quota(first) != quota(r) {
        bail!(
            "{} ran under {} but {} under {}: shards must run under the same quota",
            first_path.display(),
            quota(first),
            path.display(),
            quota(r)
        );
    }
    if first.metadata.python.version != r.metadata.python.version {
        bail!(
            "{} measured Python {} but {} measured {}",
            first_path.display(),
            first.metadata.python.version_short,
            path.display(),
            r.metadata.python.version_short
        );
    }
    Ok(())
}
