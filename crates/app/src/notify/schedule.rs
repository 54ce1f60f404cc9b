//! When a digest is due: the latest local date (of the right weekday, for weekly digests) whose
//! digest time has passed. Keying digests by that local date — not by "24 hours since the last
//! one" — is what keeps them at one per local day across daylight-saving changes: a 23- or
//! 25-hour day still has exactly one date. A digest time that does not exist on a spring-forward
//! day (02:30 in New York) moves to the first instant after the gap; on a fall-back day the
//! earlier of the two 01:30s counts.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// The UTC instant of `time` on local `date` in `tz`.
pub fn digest_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: the first local minute after it. Gaps are at most a few hours.
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += TimeDelta::minutes(1);
                match tz.from_local_datetime(&probe) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
                    LocalResult::None => {}
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// The local date whose digest is due at `now` (the latest one whose time has passed), with its
/// instant. `weekday` limits it to one day of the week.
pub fn due(now: DateTime<Utc>, tz: Tz, time: NaiveTime, weekday: Option<Weekday>) -> (NaiveDate, DateTime<Utc>) {
    let mut date = now.with_timezone(&tz).date_naive();
    // At most 7 days back for a weekly digest, plus one for "today's time has not come yet".
    for _ in 0..9 {
        let right_day = weekday.is_none_or(|w| date.weekday() == w);
        if right_day {
            let at = digest_instant(tz, date, time);
            if at <= now {
                return (date, at);
            }
        }
        date = match date.checked_sub_days(Days::new(1)) {
            Some(d) => d,
            None => break,
        };
    }
    (date, digest_instant(tz, date, time))
}

pub fn weekday_from_index(i: i32) -> Weekday {
    match i {
        1 => Weekday::Tue,
        2 => Weekday::Wed,
        3 => Weekday::Thu,
        4 => Weekday::Fri,
        5 => Weekday::Sat,
        6 => Weekday::Sun,
        _ => Weekday::Mon,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn spring_forward_gap_moves_to_the_jump() {
        let ny: Tz = chrono_tz::America::New_York;
        // 2027-03-14: 02:00 EST becomes 03:00 EDT (07:00 UTC).
        assert_eq!(
            digest_instant(ny, d("2027-03-14"), t(2, 30)),
            utc("2027-03-14T07:00:00Z")
        );
        assert_eq!(
            digest_instant(ny, d("2027-03-13"), t(2, 30)),
            utc("2027-03-13T07:30:00Z")
        );
        assert_eq!(
            digest_instant(ny, d("2027-03-15"), t(2, 30)),
            utc("2027-03-15T06:30:00Z")
        );
    }

    #[test]
    fn fall_back_takes_the_first_of_two() {
        let ny: Tz = chrono_tz::America::New_York;
        // 2027-11-07: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
        assert_eq!(
            digest_instant(ny, d("2027-11-07"), t(1, 30)),
            utc("2027-11-07T05:30:00Z")
        );
    }

    #[test]
    fn one_date_per_local_day_even_on_short_and_long_days() {
        let ny: Tz = chrono_tz::America::New_York;
        let mut seen = vec![];
        let mut now = utc("2027-03-12T00:00:00Z");
        while now < utc("2027-03-17T00:00:00Z") {
            let (date, _) = due(now, ny, t(2, 30), None);
            if seen.last() != Some(&date) {
                seen.push(date);
            }
            now += TimeDelta::minutes(1);
        }
        let want: Vec<NaiveDate> = [
            "2027-03-11",
            "2027-03-12",
            "2027-03-13",
            "2027-03-14",
            "2027-03-15",
            "2027-03-16",
        ]
        .iter()
        .map(|s| d(s))
        .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn weekly_is_the_last_matching_weekday() {
        let berlin: Tz = chrono_tz::Europe::Berlin;
        // Wednesday 2027-03-10 12:00 UTC; Monday digests at 09:00 Berlin.
        let (date, at) = due(utc("2027-03-10T12:00:00Z"), berlin, t(9, 0), Some(Weekday::Mon));
        assert_eq!(date, d("2027-03-08"));
        assert_eq!(at, utc("2027-03-08T08:00:00Z"));
        // Monday 07:59 UTC is 08:59 in Berlin: still last week's.
        let (date, _) = due(utc("2027-03-15T07:59:00Z"), berlin, t(9, 0), Some(Weekday::Mon));
        assert_eq!(date, d("2027-03-08"));
    }
}
