//! The HTML page's time chart: counted bytes per traffic class and hour as stacked bars in
//! inline SVG, on real axes. The y axis has ticks at round amounts of one binary unit (`0`,
//! `2 GiB`, `4 GiB`, ...), the x axis ticks at round hours or days of UTC, the first of them and
//! each new day (or year) carrying the date under the time.
//!
//! The drawing has a fixed coordinate system that the page scales to its width; the page's
//! style enlarges the labels on narrow screens, and the label offsets are in `em` so that they
//! follow. Deterministic: the same audit gives the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::Audit;
use crate::sql::udf::human_bytes;

/// The drawing's size in SVG units.
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 330.0;
/// Room for the y labels, half the last x label, the top y label and two lines of x labels.
const LEFT: f64 = 104.0;
const RIGHT: f64 = 64.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 70.0;
/// At most this many intervals between x ticks, so that dates under them never collide.
const MAX_TIME_STEPS: i64 = 6;
/// The binary units of the y axis.
const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
const HOUR: i64 = 3600;

/// The y axis: `steps` steps of `step` units of `1024^unit` bytes from zero.
#[derive(Debug, PartialEq)]
struct ByteAxis {
    unit: usize,
    step: f64,
    steps: u32,
}

impl ByteAxis {
    /// About four round steps covering `max` bytes, in the largest unit below `max`.
    fn covering(max: i64) -> ByteAxis {
        let max = max.max(1) as f64;
        let mut unit = 0;
        while max / 1024f64.powi(unit as i32 + 1) >= 1.0 && unit < UNITS.len() - 1 {
            unit += 1;
        }
        let in_unit = max / 1024f64.powi(unit as i32);
        let mut step = round_step(in_unit / 4.0);
        if unit == 0 {
            // Bytes come whole.
            step = step.max(1.0);
        }
        let steps = ((in_unit / step) - 1e-9).ceil().max(1.0) as u32;
        ByteAxis { unit, step, steps }
    }

    /// The bytes at the top of the axis.
    fn top(&self) -> f64 {
        self.step * f64::from(self.steps) * 1024f64.powi(self.unit as i32)
    }

    /// The label of tick `i` (0 is the axis' origin).
    fn label(&self, i: u32) -> String {
        if i == 0 {
            return "0".into();
        }
        let decimals = (0..3)
            .find(|d| {
                let scaled = self.step * 10f64.powi(*d);
                (scaled - scaled.round()).abs() < 1e-6
            })
            .unwrap_or(3) as usize;
        format!(
            "{:.decimals$} {}",
            self.step * f64::from(i),
            UNITS[self.unit]
        )
    }
}

/// The round number (1, 2, 2.5 or 5 times a power of ten) at or above `x`.
fn round_step(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powi(x.log10().floor() as i32);
    let fraction = x / magnitude;
    let round = [1.0, 2.0, 2.5, 5.0]
        .into_iter()
        .find(|r| fraction <= r + 1e-9)
        .unwrap_or(10.0);
    round * magnitude
}

/// The x axis: the hours `[start, end)` as hours since the Unix epoch, with a tick every
/// `step` hours.
#[derive(Debug, PartialEq)]
struct TimeAxis {
    start: i64,
    end: i64,
    step: i64,
}

impl TimeAxis {
    /// The hours of the buckets and of the window, whichever reach further.
    fn spanning(hours: &[i64], since: Option<i64>, until: Option<i64>) -> Option<TimeAxis> {
        let first = hours.iter().min()?;
        let last = hours.iter().max()?;
        let start = since.map_or(*first, |s| s.div_euclid(HOUR).min(*first));
        let end = until.map_or(last + 1, |u| {
            // The window's end, rounded up to a whole hour.
            (u.div_euclid(HOUR) + i64::from(u.rem_euclid(HOUR) > 0)).max(last + 1)
        });
        // Steps of whole hours from 1970: hours, days, then 7, 14, 30, 60, 90, 180 and 365 days
        // (not aligned to weeks, months or years).
        const STEPS: [i64; 16] = [
            1, 2, 3, 4, 6, 12, 24, 48, 72, 168, 336, 720, 1440, 2160, 4320, 8760,
        ];
        let span = end - start;
        let step = STEPS
            .into_iter()
            .find(|s| span <= s * MAX_TIME_STEPS)
            .unwrap_or_else(|| 8760 * (span / (8760 * MAX_TIME_STEPS) + 1));
        Some(TimeAxis { start, end, step })
    }

    /// Where an hour's start is drawn.
    fn x(&self, hour: i64) -> f64 {
        let span = (self.end - self.start).max(1) as f64;
        LEFT + (WIDTH - LEFT - RIGHT) * (hour - self.start) as f64 / span
    }

    /// The hours that get a tick: the multiples of the step within the axis.
    fn ticks(&self) -> Vec<i64> {
        let first = self.start.div_euclid(self.step) * self.step;
        let first = if first < self.start {
            first + self.step
        } else {
            first
        };
        (0..)
            .map(|i| first + i * self.step)
            .take_while(|t| *t <= self.end)
            .collect()
    }

    /// The two lines under a tick: its time (or day, for ticks a day or more apart), and the
    /// date (or year) where it is the first tick or a new one.
    fn labels(&self, hour: i64, previous: Option<i64>) -> (String, Option<String>) {
        let at = |h: i64| DateTime::<Utc>::from_timestamp(h * HOUR, 0);
        let (Some(t), previous) = (at(hour), previous.and_then(at)) else {
            return (String::new(), None);
        };
        let (top, bottom) = if self.step < 24 {
            ("%H:%M", "%Y-%m-%d")
        } else {
            ("%b %-d", "%Y")
        };
        let bottom_of = |t: DateTime<Utc>| t.format(bottom).to_string();
        let second = match previous {
            Some(p) if bottom_of(p) == bottom_of(t) => None,
            _ => Some(bottom_of(t)),
        };
        (t.format(top).to_string(), second)
    }
}

/// Seconds since the Unix epoch of an RFC 3339 time.
fn epoch(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

/// The chart's SVG, or `None` when no bucket has a time.
pub(super) fn timeline_svg(a: &Audit) -> Option<String> {
    let mut hours: BTreeMap<i64, Vec<(&str, &str, i64)>> = BTreeMap::new();
    for p in &a.timeline {
        if let Some(t) = epoch(&p.bucket) {
            hours.entry(t.div_euclid(HOUR)).or_default().push((
                p.bucket.as_str(),
                p.traffic_class.as_str(),
                p.counted_bytes,
            ));
        }
    }
    let keys: Vec<i64> = hours.keys().copied().collect();
    let time = TimeAxis::spanning(
        &keys,
        a.window.since.as_deref().and_then(epoch),
        a.window.until.as_deref().and_then(epoch),
    )?;
    let max = hours
        .values()
        .map(|v| v.iter().fold(0i64, |sum, (_, _, b)| sum.saturating_add(*b)))
        .max()
        .unwrap_or(0);
    let bytes = ByteAxis::covering(max);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg class=\"chart\" id=\"timeline\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"counted bytes per traffic class and hour\">"
    );
    y_axis(&mut out, &bytes);
    x_axis(&mut out, &time);
    let plot = Plot {
        time,
        top: bytes.top(),
    };
    for (hour, classes) in &hours {
        plot.bars(&mut out, *hour, classes);
    }
    let (base, right) = (HEIGHT - BOTTOM, WIDTH - RIGHT);
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{base}\" stroke=\"#555\"/><line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\" stroke=\"#555\"/>\n</svg>"
    );
    Some(out)
}

/// The y ticks: a grid line across the plot and a label left of the axis at each.
fn y_axis(out: &mut String, axis: &ByteAxis) {
    let plot = HEIGHT - BOTTOM - TOP;
    for i in 0..=axis.steps {
        let y = HEIGHT - BOTTOM - plot * f64::from(i) / f64::from(axis.steps);
        let _ = writeln!(
            out,
            "<g class=\"y-tick\"><line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\"/><text class=\"tick-label\" x=\"{:.1}\" y=\"{y:.1}\" dy=\"0.35em\" text-anchor=\"end\" font-size=\"12\">{}</text></g>",
            LEFT - 5.0,
            WIDTH - RIGHT,
            if i == 0 { "#555" } else { "#e6e6e6" },
            LEFT - 9.0,
            axis.label(i)
        );
    }
}

/// The x ticks: a mark under the axis and one or two lines of label at each.
fn x_axis(out: &mut String, axis: &TimeAxis) {
    let base = HEIGHT - BOTTOM;
    let mut previous = None;
    for hour in axis.ticks() {
        let x = axis.x(hour);
        let (time, date) = axis.labels(hour, previous);
        previous = Some(hour);
        let _ = write!(
            out,
            "<g class=\"x-tick\"><line x1=\"{x:.1}\" y1=\"{base}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#555\"/><text class=\"tick-label\" x=\"{x:.1}\" y=\"{base}\" dy=\"1.5em\" text-anchor=\"middle\" font-size=\"12\">{time}</text>",
            base + 5.0
        );
        if let Some(date) = date {
            let _ = write!(
                out,
                "<text class=\"tick-date\" x=\"{x:.1}\" y=\"{base}\" dy=\"2.7em\" text-anchor=\"middle\" font-size=\"12\" fill=\"#555\">{date}</text>"
            );
        }
        out.push_str("</g>\n");
    }
}

/// The plot's scales, for the bars.
struct Plot {
    time: TimeAxis,
    /// The bytes at the top of the y axis.
    top: f64,
}

impl Plot {
    /// One hour's bars, stacked in the order given, across most of the hour's width.
    fn bars(&self, out: &mut String, hour: i64, classes: &[(&str, &str, i64)]) {
        let slot = self.time.x(hour + 1) - self.time.x(hour);
        let x = self.time.x(hour) + slot * 0.1;
        let plot = HEIGHT - BOTTOM - TOP;
        let mut y = HEIGHT - BOTTOM;
        for (bucket, class, bytes) in classes {
            let bar = *bytes as f64 / self.top.max(1.0) * plot;
            y -= bar;
            let _ = writeln!(
                out,
                "<rect class=\"bar\" x=\"{x:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{bar:.2}\" fill=\"{}\"><title>{} {}: {}</title></rect>",
                (slot * 0.8).max(0.5),
                super::render::colour(class),
                super::render::h(bucket),
                super::render::h(class),
                human_bytes(*bytes)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ticks_are_round_amounts_of_one_unit() {
        let gib = 1i64 << 30;
        let axis = ByteAxis::covering(16 * gib + gib / 2);
        assert_eq!(axis.unit, 3);
        assert_eq!(axis.step, 5.0);
        assert_eq!(axis.steps, 4);
        assert_eq!(axis.label(0), "0");
        assert_eq!(axis.label(1), "5 GiB");
        assert_eq!(axis.label(4), "20 GiB");
        assert!(axis.top() >= (16 * gib + gib / 2) as f64);

        let axis = ByteAxis::covering(3 * 1024 * 1024);
        assert_eq!((axis.unit, axis.step, axis.steps), (2, 1.0, 3));
        assert_eq!(axis.label(3), "3 MiB");

        let axis = ByteAxis::covering(9 * 1024);
        assert_eq!((axis.unit, axis.step, axis.steps), (1, 2.5, 4));
        assert_eq!(axis.label(1), "2.5 KiB");

        // A byte is the smallest step; an empty chart still has an axis.
        assert_eq!(ByteAxis::covering(3).step, 1.0);
        assert_eq!(ByteAxis::covering(0).steps, 1);
    }

    #[test]
    fn round_steps_are_at_or_above_what_is_asked() {
        for (asked, round) in [(0.3, 0.5), (1.0, 1.0), (1.2, 2.0), (2.2, 2.5), (4.0, 5.0)] {
            assert_eq!(round_step(asked), round, "{asked}");
        }
        assert_eq!(round_step(6.0), 10.0);
        assert_eq!(round_step(140.0), 200.0);
    }

    #[test]
    fn time_ticks_fall_on_round_hours_and_days() {
        // Six hours from 08:00: a tick each hour, 08:00 to 14:00.
        let at = |t: &str| epoch(t).expect("time");
        let hours: Vec<i64> = (0..6)
            .map(|i| at("2026-11-20T08:00:00Z") / HOUR + i)
            .collect();
        let axis = TimeAxis::spanning(
            &hours,
            Some(at("2026-11-20T08:00:00Z")),
            Some(at("2026-11-20T13:59:57Z")),
        )
        .expect("axis");
        assert_eq!(axis.step, 1);
        let ticks = axis.ticks();
        assert_eq!(ticks.len(), 7);
        assert_eq!(
            axis.labels(ticks[0], None),
            ("08:00".to_string(), Some("2026-11-20".to_string()))
        );
        assert_eq!(
            axis.labels(ticks[1], Some(ticks[0])),
            ("09:00".into(), None)
        );

        // A week: a tick every two days at midnight, with the year once.
        let axis = TimeAxis::spanning(
            &[hours[0]],
            Some(at("2026-11-20T08:00:00Z")),
            Some(at("2026-11-27T08:00:00Z")),
        )
        .expect("axis");
        assert_eq!(axis.step, 48);
        let ticks = axis.ticks();
        assert!(
            ticks
                .iter()
                .all(|t| t % 48 == 0 && *t >= axis.start && *t <= axis.end)
        );
        assert_eq!(
            axis.labels(ticks[0], None),
            ("Nov 21".to_string(), Some("2026".to_string()))
        );
        assert_eq!(axis.labels(ticks[1], Some(ticks[0])).1, None);
        assert!(TimeAxis::spanning(&[], None, None).is_none());
    }
}
