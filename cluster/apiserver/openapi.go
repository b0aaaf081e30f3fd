package apiserver

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// openAPI is not served yet: kubectl apply needs --validate=false until it is.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	writeError(w, &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusNotFound, Reason: metav1.StatusReasonNotFound,
		Message: "mini does not serve OpenAPI documents yet",
	}})
}
