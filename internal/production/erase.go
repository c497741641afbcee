package production

import "courseshop/internal/store"

// dataLearner is the key of the learner's name in an enrolment's instance
// data.
const dataLearner = "learner"

// ErasePersonalData removes from a product instance what names a person,
// when its customer has their data erased (rule C8): the learner's name
// and e-mail. Its reference, product, LMS references (account refs name
// nobody by themselves), courses and period stay, so that what was sold
// can still be run, extended and accounted for.
func ErasePersonalData(in *store.Instance) {
	delete(in.Data, dataLearner)
	delete(in.Data, seatEmail)
}

// ErasePersonalEventData removes the learner's e-mail from an entry of an
// instance's history, as ErasePersonalData does from the instance.
func ErasePersonalEventData(ev *store.InstanceEvent) {
	delete(ev.Data, eventEmail)
}
