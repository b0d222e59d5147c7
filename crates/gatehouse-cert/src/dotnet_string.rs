//! `X509Certificate2.ToString()` and the en-US date format it uses.
//!
//! APIM shows the short form of the base class (`X509Certificate.ToString(true)`): six
//! bracketed sections, each value indented by two spaces, a blank line between sections and
//! one trailing newline. Dates are `DateTime.ToString()` under en-US in the gateway's local
//! time zone: `M/d/yyyy h:mm:ss AM|PM`.

use time::{OffsetDateTime, UtcOffset};

/// The members `ToString()` prints.
pub(crate) struct Sections<'a> {
    pub(crate) subject: &'a str,
    pub(crate) issuer: &'a str,
    pub(crate) serial_number: &'a str,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    pub(crate) thumbprint: &'a str,
}

/// Renders the sections with dates shifted to `offset`.
pub(crate) fn render(sections: &Sections<'_>, offset: UtcOffset) -> String {
    let not_before = en_us_date_time(sections.not_before.to_offset(offset));
    let not_after = en_us_date_time(sections.not_after.to_offset(offset));
    let parts: [(&str, &str); 6] = [
        ("Subject", sections.subject),
        ("Issuer", sections.issuer),
        ("Serial Number", sections.serial_number),
        ("Not Before", &not_before),
        ("Not After", &not_after),
        ("Thumbprint", sections.thumbprint),
    ];

    let blocks: Vec<String> = parts
        .iter()
        .map(|(title, value)| format!("[{title}]\n  {value}\n"))
        .collect();
    blocks.join("\n")
}

/// .NET's `DateTime.ToString()` under en-US: `10/27/2023 9:05:11 AM`.
pub fn en_us_date_time(at: OffsetDateTime) -> String {
    let (hour, meridiem) = match at.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{}/{}/{} {hour}:{:02}:{:02} {meridiem}",
        u8::from(at.month()),
        at.day(),
        at.year(),
        at.minute(),
        at.second()
    )
}

/// The gateway's local UTC offset, or UTC when it cannot be determined.
///
/// On Unix the offset can only be read safely while the process is single-threaded, so a
/// running gateway usually gets UTC here; containers run on UTC anyway. Callers that learn
/// the offset at start-up can pass it to `Certificate::to_dotnet_string_with_offset`.
pub fn local_offset() -> UtcOffset {
    UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn formats_dates_like_en_us_dotnet() {
        assert_eq!(
            en_us_date_time(datetime!(2023-10-27 09:05:11 UTC)),
            "10/27/2023 9:05:11 AM"
        );
        assert_eq!(
            en_us_date_time(datetime!(2024-01-05 00:00:00 UTC)),
            "1/5/2024 12:00:00 AM"
        );
        assert_eq!(
            en_us_date_time(datetime!(2024-01-05 12:30:09 UTC)),
            "1/5/2024 12:30:09 PM"
        );
        assert_eq!(
            en_us_date_time(datetime!(2024-12-31 23:59:59 UTC)),
            "12/31/2024 11:59:59 PM"
        );
    }

    #[test]
    fn renders_the_apim_layout() {
        let sections = Sections {
            subject: "CN=Client 01",
            issuer: "CN=APIM Sample DEV Intermediate CA",
            serial_number: "790CE8EEE5F01997408E859972D94A9E",
            not_before: datetime!(2023-10-27 09:05:11 UTC),
            not_after: datetime!(2024-10-27 09:15:11 UTC),
            thumbprint: "5E7FC1A1F7AD302EDFBFB0B87C5AF2A299B72858",
        };
        let expected = "[Subject]\n  CN=Client 01\n\n[Issuer]\n  CN=APIM Sample DEV Intermediate CA\n\n\
                        [Serial Number]\n  790CE8EEE5F01997408E859972D94A9E\n\n\
                        [Not Before]\n  10/27/2023 9:05:11 AM\n\n[Not After]\n  10/27/2024 9:15:11 AM\n\n\
                        [Thumbprint]\n  5E7FC1A1F7AD302EDFBFB0B87C5AF2A299B72858\n";
        assert_eq!(render(&sections, UtcOffset::UTC), expected);
    }

    #[test]
    fn shifts_dates_to_the_given_offset() {
        let sections = Sections {
            subject: "",
            issuer: "",
            serial_number: "",
            not_before: datetime!(2023-10-27 23:30:00 UTC),
            not_after: datetime!(2023-10-27 23:30:00 UTC),
            thumbprint: "",
        };
        let offset = UtcOffset::from_hms(2, 0, 0).unwrap();
        assert!(render(&sections, offset).contains("10/28/2023 1:30:00 AM"));
    }
}
