//! The text of every mail, in English and Simplified Chinese, as plain text and HTML. Values that come from
//! users (names, workspace names) are escaped in the HTML part.

use domain::model::{Mail, MailMessage};

/// A mail ready for the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
}

/// Escapes text for HTML element content and attribute values.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// One paragraph of a mail: plain text, or a link.
enum Part {
    Text(String),
    Code(String),
    Link(String),
}

fn assemble(subject: String, parts: Vec<Part>) -> RenderedMail {
    let text = parts
        .iter()
        .map(|p| match p {
            Part::Text(t) | Part::Code(t) | Part::Link(t) => t.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    let body: String = parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => format!("<p>{}</p>", escape(t)),
            Part::Code(c) => format!(
                "<p style=\"font-size:28px;font-weight:bold;letter-spacing:6px;font-family:monospace\">{}</p>",
                escape(c)
            ),
            Part::Link(l) => format!("<p><a href=\"{0}\">{0}</a></p>", escape(l)),
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:sans-serif;line-height:1.5\">{body}</body></html>",
        escape(&subject)
    );
    RenderedMail { subject, text: text + "\n", html }
}

/// Renders a mail in its language (`zh-Hans` in Chinese, any other in English).
pub fn render(mail: &Mail) -> RenderedMail {
    let zh = mail.language == "zh-Hans";
    match &mail.message {
        MailMessage::Invitation { inviter, workspace, link } => {
            if zh {
                assemble(
                    format!("{inviter} 邀请您加入 {workspace}"),
                    vec![
                        Part::Text(format!("{inviter} 邀请您加入工作空间「{workspace}」。")),
                        Part::Text("请打开下面的链接完成账号设置：".into()),
                        Part::Link(link.clone()),
                        Part::Text("如果您不认识邀请人，请忽略这封邮件。".into()),
                    ],
                )
            } else {
                assemble(
                    format!("{inviter} invited you to join {workspace}"),
                    vec![
                        Part::Text(format!("{inviter} invited you to join the workspace \"{workspace}\".")),
                        Part::Text("Open this link to set up your account:".into()),
                        Part::Link(link.clone()),
                        Part::Text("If you do not know the sender, ignore this mail.".into()),
                    ],
                )
            }
        }
        MailMessage::PasswordResetCode { code, minutes } => code_mail(
            zh,
            ("Your password reset code", "您的密码重置验证码"),
            ("Use this code to reset your password:", "请使用以下验证码重置密码："),
            code,
            *minutes,
        ),
        MailMessage::RegistrationCode { code, minutes } => code_mail(
            zh,
            ("Your sign-up code", "您的注册验证码"),
            ("Use this code to confirm your email address:", "请使用以下验证码确认您的邮箱地址："),
            code,
            *minutes,
        ),
        MailMessage::UnknownAddressNotice => {
            if zh {
                assemble(
                    "密码重置请求".into(),
                    vec![
                        Part::Text("有人请求重置此邮箱地址的密码，但没有账号使用此地址。".into()),
                        Part::Text(
                            "如果不是您本人操作，请忽略这封邮件；如果是您，请确认您注册时使用的邮箱地址。".into(),
                        ),
                    ],
                )
            } else {
                assemble(
                    "Password reset request".into(),
                    vec![
                        Part::Text(
                            "Someone asked to reset the password for this email address, but no account uses it."
                                .into(),
                        ),
                        Part::Text(
                            "If it was not you, ignore this mail. If it was, check which address you signed up with."
                                .into(),
                        ),
                    ],
                )
            }
        }
        MailMessage::ExistingAccountNotice { signin_link } => {
            if zh {
                assemble(
                    "有人尝试用您的邮箱注册".into(),
                    vec![
                        Part::Text("有人尝试用此邮箱地址注册新账号，但此地址已有账号。".into()),
                        Part::Text("如果是您本人，请直接登录；忘记密码时可以重置密码：".into()),
                        Part::Link(signin_link.clone()),
                        Part::Text("如果不是您本人操作，请忽略这封邮件。".into()),
                    ],
                )
            } else {
                assemble(
                    "Someone tried to sign up with your address".into(),
                    vec![
                        Part::Text(
                            "Someone tried to create an account with this email address, which already has one.".into(),
                        ),
                        Part::Text("If it was you, sign in, or reset your password if you forgot it:".into()),
                        Part::Link(signin_link.clone()),
                        Part::Text("If it was not you, ignore this mail.".into()),
                    ],
                )
            }
        }
    }
}

fn code_mail(zh: bool, subject: (&str, &str), lead: (&str, &str), code: &str, minutes: i64) -> RenderedMail {
    let pick = |pair: (&str, &str)| if zh { pair.1.to_owned() } else { pair.0.to_owned() };
    let expiry = if zh {
        format!("验证码 {minutes} 分钟内有效。如果不是您本人操作，请忽略这封邮件。")
    } else {
        format!("The code expires in {minutes} minutes. If you did not ask for it, ignore this mail.")
    };
    assemble(pick(subject), vec![Part::Text(pick(lead)), Part::Code(code.to_owned()), Part::Text(expiry)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(language: &str, message: MailMessage) -> Mail {
        Mail { to: "a@example.com".into(), language: language.into(), message }
    }

    #[test]
    fn codes_appear_in_both_parts_and_both_languages() {
        for language in ["en-US", "zh-Hans", "fr-FR"] {
            let r = render(&mail(language, MailMessage::PasswordResetCode { code: "012345".into(), minutes: 5 }));
            assert!(r.text.contains("012345") && r.html.contains("012345"), "{language}");
            assert!(r.text.contains('5'));
        }
        let zh = render(&mail("zh-Hans", MailMessage::RegistrationCode { code: "1".into(), minutes: 5 }));
        assert_eq!(zh.subject, "您的注册验证码");
        let fr = render(&mail("fr-FR", MailMessage::RegistrationCode { code: "1".into(), minutes: 5 }));
        assert_eq!(fr.subject, "Your sign-up code", "unknown languages fall back to English");
    }

    #[test]
    fn user_text_is_escaped_in_html() {
        let r = render(&mail(
            "en-US",
            MailMessage::Invitation {
                inviter: "<script>x</script>".into(),
                workspace: "A & B".into(),
                link: "https://x/activate?a=1&b=\"2\"".into(),
            },
        ));
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains("&lt;script&gt;") && r.html.contains("A &amp; B"));
        assert!(r.html.contains("href=\"https://x/activate?a=1&amp;b=&quot;2&quot;\""));
        assert!(r.text.contains("https://x/activate?a=1&b=\"2\""), "plain text keeps the link as is");
    }

    #[test]
    fn every_message_renders_non_empty() {
        let messages = [
            MailMessage::UnknownAddressNotice,
            MailMessage::ExistingAccountNotice { signin_link: "https://x/signin".into() },
        ];
        for m in messages {
            for language in ["en-US", "zh-Hans"] {
                let r = render(&mail(language, m.clone()));
                assert!(!r.subject.is_empty() && r.text.len() > 20 && r.html.starts_with("<!DOCTYPE html>"));
            }
        }
    }
}
