//! The trace of one profiled import (`run --trace`): every call the probe's profiler
//! wraps, as a span with its phase and the module being imported, nesting as imports
//! do; written as a Trace Event Format file (Perfetto UI, chrome://tracing, speedscope)
//! and as `python -X importtime`'s own text (tuna and every importtime tool).

use std::fmt::Write;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The profiler's name for time inside the import loop but outside every wrapped call.
pub const MACHINERY: &str = "import machinery";

/// One profiled call: start and duration (ns from the start of the import loop), its
/// phase (`""` for a module's whole import), the module being imported (`""` outside
/// any), and how many module imports enclose it (a module's own span: those outside
/// it; a phase span: those it runs inside, its own module included).
pub type Span = (u64, u64, String, String, u32);

/// The spans of a probe's first, profiled import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportTrace {
    /// Wall time of the profiled import loop, ns: what the phases add up to.
    pub wall_ns: u64,
    /// Every span, in the order the calls returned.
    pub spans: Vec<Span>,
}

/// A module's import in the trace: self and cumulative time, nesting depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleTime {
    /// Dotted name.
    pub name: String,
    /// Time in the module's import outside the imports it made, ns.
    pub self_ns: u64,
    /// Time of its whole import, ns.
    pub cumulative_ns: u64,
    /// Imports enclosing it (0: imported by the workload itself).
    pub depth: u32,
}

impl ImportTrace {
    /// The module imports in the order they finished (the order `-X importtime`
    /// prints), each with its self time (its cumulative time less its direct
    /// imports').
    pub fn modules(&self) -> Vec<ModuleTime> {
        // Spans come in the order calls returned: a module's imports finish before it,
        // so the cumulative times at depth d + 1 since the last span at depth <= d are
        // its direct imports'.
        let mut pending: Vec<u64> = Vec::new();
        let mut out = Vec::new();
        for (_, dur, phase, module, depth) in &self.spans {
            if !phase.is_empty() {
                continue;
            }
            let d = *depth as usize;
            if pending.len() < d + 2 {
                pending.resize(d + 2, 0);
            }
            let children = std::mem::take(&mut pending[d + 1]);
            pending.truncate(d + 2);
            pending[d] += dur;
            out.push(ModuleTime {
                name: module.clone(),
                self_ns: dur.saturating_sub(children),
                cumulative_ns: *dur,
                depth: *depth,
            });
        }
        out
    }

    /// Exclusive time per phase, from the spans: each span's duration less the
    /// durations of the spans directly inside it; what is outside every phase span is
    /// `import machinery`. Adds up to `wall_ns`.
    pub fn phase_totals(&self) -> std::collections::BTreeMap<String, u64> {
        let mut out = std::collections::BTreeMap::new();
        for (phase, _, ns) in self.exclusive() {
            *out.entry(phase).or_insert(0) += ns;
        }
        out
    }

    /// Exclusive time of every (phase, module) pair: a span's duration less the spans
    /// directly inside it. A phase span's time is its phase's; a module span's own
    /// time (the import machinery around its phases) counts, as the profiler counts
    /// it, to the phase it runs inside (a parent's `execute`, usually) or to `import
    /// machinery` at the top; the loop's time outside every span is `import
    /// machinery` of no module.
    pub fn exclusive(&self) -> Vec<(String, String, u64)> {
        let nesting = self.nesting();
        let mut own: Vec<u64> = self.spans.iter().map(|s| s.1).collect();
        let mut outside = self.wall_ns;
        for (i, &(parent, _)) in nesting.iter().enumerate() {
            match parent {
                Some(p) => own[p] = own[p].saturating_sub(self.spans[i].1),
                None => outside = outside.saturating_sub(self.spans[i].1),
            }
        }
        let mut out: Vec<(String, String, u64)> = self
            .spans
            .iter()
            .enumerate()
            .map(|(i, (_, _, _, module, _))| {
                // A module span's own time goes to the nearest enclosing phase.
                let mut at = Some(i);
                while let Some(k) = at.filter(|&k| self.spans[k].2.is_empty()) {
                    at = nesting[k].0;
                }
                let phase = at.map_or(MACHINERY, |k| self.spans[k].2.as_str());
                (phase.to_owned(), module.clone(), own[i])
            })
            .collect();
        out.push((MACHINERY.to_owned(), String::new(), outside));
        out
    }

    /// For every span, the innermost span enclosing it and how many enclose it: by
    /// start, longest first, with a stack of the spans still open.
    pub fn nesting(&self) -> Vec<(Option<usize>, usize)> {
        let mut order: Vec<usize> = (0..self.spans.len()).collect();
        order.sort_by_key(|&i| (self.spans[i].0, std::cmp::Reverse(self.spans[i].1)));
        let mut out = vec![(None, 0); self.spans.len()];
        let mut open: Vec<usize> = Vec::new();
        for i in order {
            let start = self.spans[i].0;
            while let Some(&top) = open.last() {
                let (s, d, ..) = self.spans[top];
                if start >= s + d {
                    open.pop();
                } else {
                    break;
                }
            }
            out[i] = (open.last().copied(), open.len());
            open.push(i);
        }
        out
    }

    /// The trace in the Trace Event Format: one complete event (`"ph": "X"`) per span,
    /// microseconds, one thread; `about` goes into `otherData` (variant, Python, run).
    pub fn trace_events(&self, about: &Value) -> Value {
        let us = |ns: u64| ns as f64 / 1000.0;
        let mut events: Vec<Value> = vec![
            json!({"name": "process_name", "ph": "M", "pid": 1, "tid": 1,
                   "args": {"name": about["title"].clone()}}),
            json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": 1,
                   "args": {"name": "import"}}),
            json!({"name": "import loop", "cat": "import", "ph": "X", "pid": 1, "tid": 1,
                   "ts": 0.0, "dur": us(self.wall_ns), "args": {}}),
        ];
        // By start, longest first: viewers that nest by order then nest correctly.
        let mut order: Vec<&Span> = self.spans.iter().collect();
        order.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
        for (start, dur, phase, module, depth) in order {
            let (name, cat) = if phase.is_empty() {
                (module.as_str(), "module")
            } else {
                (phase.as_str(), "phase")
            };
            events.push(json!({
                "name": name, "cat": cat, "ph": "X", "pid": 1, "tid": 1,
                "ts": us(*start), "dur": us(*dur),
                "args": {"module": module, "depth": depth},
            }));
        }
        json!({"traceEvents": events, "displayTimeUnit": "ms", "otherData": about})
    }

    /// The module imports in `python -X importtime`'s format (self and cumulative
    /// microseconds, nesting by two spaces per level), after one `header` line
    /// prefixed with `#` (importtime readers skip what does not start with `import
    /// time:`).
    pub fn importtime(&self, header: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {}", header.replace('\n', " "));
        out.push_str("import time: self [us] | cumulative | imported package\n");
        for m in self.modules() {
            let _ = writeln!(
                out,
                "import time: {:>9} | {:>10} | {}{}",
                m.self_ns.div_ceil(1000),
                m.cumulative_ns.div_ceil(1000),
                "  ".repeat(m.depth as usize),
                m.name
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64, dur: u64, phase: &str, module: &str, depth: u32) -> Span {
        (start, dur, phase.into(), module.into(), depth)
    }

    /// `a` imports `b` while executing; the spans in the order calls return.
    fn nested() -> ImportTrace {
        ImportTrace {
            wall_ns: 1_000_000,
            spans: vec![
                span(10_000, 20_000, "find", "a", 1),
                span(40_000, 10_000, "find", "b", 2),
                span(55_000, 30_000, "execute", "b", 2),
                span(40_000, 50_000, "", "b", 1),
                span(35_000, 100_000, "execute", "a", 1),
                span(0, 200_000, "", "a", 0),
            ],
        }
    }

    #[test]
    fn self_time_is_cumulative_less_direct_imports() {
        let m = nested().modules();
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].name.as_str(), m[0].self_ns, m[0].depth),
            ("b", 50_000, 1)
        );
        assert_eq!(
            (m[1].name.as_str(), m[1].self_ns, m[1].depth),
            ("a", 150_000, 0)
        );
        let text = nested().importtime("variant x");
        assert!(
            text.contains("import time:        50 |         50 |   b\n"),
            "{text}"
        );
        assert!(
            text.contains("import time:       150 |        200 | a\n"),
            "{text}"
        );
    }

    #[test]
    fn exclusive_times_add_up_to_the_wall_time() {
        let t = nested();
        let totals = t.phase_totals();
        assert_eq!(totals.values().sum::<u64>(), t.wall_ns);
        // a's execute (100 us) holds b's whole import (50 us), whose machinery (10 us
        // outside b's phases) counts to a's execute, as the profiler counts it.
        assert_eq!(totals["execute"], 50_000 + 10_000 + 30_000);
        assert_eq!(totals["find"], 30_000);
    }
}
