package web

import "net/http"

// routes is the route table of the pages. One line per URL, so that this
// file shows the whole browser surface.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", s.handle(s.home))
	mux.Handle("GET /lang/{lang}", s.handle(s.switchLanguage))
	mux.Handle("GET /sitemap.xml", s.handle(s.sitemap))
	mux.Handle("GET /robots.txt", s.handle(s.robots))

	mux.Handle("GET /shop/{shop}", s.handle(s.shopHome))
	mux.Handle("GET /shop/{shop}/c/{alias}", s.handle(s.category))
	mux.Handle("GET /shop/{shop}/p/{code}", s.handle(s.product))
	mux.Handle("POST /shop/{shop}/p/{code}/unlock", s.handle(s.unlock))
	mux.Handle("GET /shop/{shop}/search", s.handle(s.search))

	mux.Handle("GET /shop/{shop}/cart", s.handle(s.cartPage))
	mux.Handle("POST /shop/{shop}/cart/add", s.handle(s.cartAdd))
	mux.Handle("POST /shop/{shop}/cart/update", s.handle(s.cartUpdate))
	mux.Handle("POST /shop/{shop}/cart/remove", s.handle(s.cartRemove))
	mux.Handle("POST /shop/{shop}/cart/clear", s.handle(s.cartClear))
	mux.Handle("GET /shop/{shop}/import", s.handle(s.cartImport))

	mux.Handle("GET /shop/{shop}/signin", s.handle(s.signinPage))
	mux.Handle("POST /shop/{shop}/signin", s.handle(s.signin))
	mux.Handle("POST /shop/{shop}/signout", s.handle(s.signout))
	mux.Handle("POST /shop/{shop}/signin/link", s.handle(s.signinLinkRequest))
	mux.Handle("GET /shop/{shop}/signin/link/{token}", s.handle(s.signinLinkPage))
	mux.Handle("POST /shop/{shop}/signin/link/{token}", s.handle(s.signinLink))

	mux.Handle("GET /shop/{shop}/checkout", s.handle(s.checkoutStart))
	mux.Handle("GET /shop/{shop}/checkout/{step}", s.handle(s.checkoutPage))
	mux.Handle("POST /shop/{shop}/checkout/{step}", s.handle(s.checkoutSubmit))
	mux.Handle("GET /shop/{shop}/orders/{number}", s.handle(s.orderPage))
	mux.Handle("GET /shop/{shop}/courses", s.handle(s.myCourses))
	mux.Handle("GET /shop/{shop}/account", s.handle(s.accountPage))
	mux.Handle("POST /shop/{shop}/account/orders/{number}/cancel", s.handle(s.cancelOrder))
	mux.Handle("GET /shop/{shop}/account/data", s.handle(s.personalData))
	mux.Handle("GET /shop/{shop}/account/documents/{id}", s.handle(s.downloadDocument))
	mux.Handle("POST /shop/{shop}/account/erase", s.handle(s.eraseMyData))
	mux.Handle("POST /shop/{shop}/account/support", s.handle(s.sendSupportMessage))
	mux.Handle("GET /shop/{shop}/account/profile", s.handle(s.profilePage))
	mux.Handle("POST /shop/{shop}/account/profile", s.handle(s.saveProfile))
	mux.Handle("POST /shop/{shop}/account/seats/{ref}/assign", s.handle(s.assignSeat))
	mux.Handle("POST /shop/{shop}/account/seats/{ref}/release", s.handle(s.releaseSeat))
	mux.Handle("POST /shop/{shop}/account/products/{ref}/renew", s.handle(s.renewProduct))
	mux.Handle("GET /shop/{shop}/account/managers", s.handle(s.managersPage))
	mux.Handle("POST /shop/{shop}/account/managers/invite", s.handle(s.inviteManager))
	mux.Handle("POST /shop/{shop}/account/managers/{ref}/remove", s.handle(s.removeManager))
	mux.Handle("POST /shop/{shop}/account/invitations/{id}/revoke", s.handle(s.revokeInvitation))
	mux.Handle("GET /shop/{shop}/invitation/{token}", s.handle(s.invitationPage))
	mux.Handle("POST /shop/{shop}/invitation/{token}", s.handle(s.acceptInvitation))

	mux.Handle("GET /admin", s.handle(s.adminHome))
	mux.Handle("GET /admin/signin", s.handle(s.staffSigninPage))
	mux.Handle("POST /admin/signin", s.handle(s.staffSignin))
	mux.Handle("POST /admin/signout", s.handle(s.staffSignout))

	// Pages of the built-in LMS.
	mux.Handle("GET /lms/password/{token}", s.handle(s.passwordPage))
	mux.Handle("POST /lms/password/{token}", s.handle(s.setPassword))
	mux.Handle("GET /lms/courses/{id}", s.handle(s.builtinCourse))

	mux.Handle("/", s.handle(func(http.ResponseWriter, *http.Request) error { return errNotFound }))
}
