// Package mail renders the shop's e-mails and delivers them through a
// transactional outbox.
//
// Three pieces, used in this order:
//
//   - [Renderer] turns a kind of mail ([KindOrderPlaced], [KindSigninLink]…),
//     a language and the kind's data struct into a [Message]: a subject, a
//     plain-text body and an HTML body, from templates embedded in the binary
//     (templates/<lang>/<kind>.{subject,txt,html}, the HTML ones inside the
//     shared templates/layout.html). Every kind exists in every language of
//     internal/i18n: [New] fails otherwise, so a build cannot ship a mail
//     that is missing in French. Data arrives formatted: money is formatted
//     by the money package, never here.
//
//   - [Outbox] renders a mail and writes it into the outbox table with the
//     Store of the caller's transaction, so the mail exists exactly when the
//     order (or sign-in token) that causes it is committed; a rolled-back
//     checkout sends nothing. In captured mode (no SMTP server configured,
//     as with serve --demo) mails are written with status captured and stay
//     in the outbox for the back office and tests to read.
//
//   - [Sender] delivers pending mails over SMTP: every poll interval it
//     claims a batch (store.ClaimMails: a claim is a lease, so several nodes
//     can run senders on one database without sending a mail twice), sends
//     each, and marks it sent, or pending again after a back-off for
//     temporary failures (4xx replies, network errors), or failed for
//     permanent ones (5xx replies, too many attempts).
//
// Delivery is at least once: a sender that dies after the SMTP server
// accepted a mail but before recording it leaves a claim that expires, and
// the mail is sent again. Each mail carries a Message-ID derived from its
// outbox row, so the copies are recognisable as one message.
package mail
