package otelsession_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/otelsession"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Metrics for a storage on memstore. A real program installs its exporters'
// providers with otel.SetMeterProvider and otel.SetTracerProvider and calls
// otelsession.Hooks with no provider options; here a manual reader shows
// what was recorded.
func ExampleHooks() {
	reader := sdkmetric.NewManualReader()
	hooks, err := otelsession.Hooks(
		otelsession.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		otelsession.WithStoreName("memory"),
	)
	if err != nil {
		panic(err)
	}
	backend := memstore.New()
	defer backend.Close()
	sessions, err := session.NewStorage(backend, session.Config[cart]{
		Cookie: session.CookieOptions{Secrets: []string{"Rk7Zp2Wq9Xv4Mb1Nc6Ls3Jd8Hf5Gt0Ya"}},
		Hooks:  hooks,
	})
	if err != nil {
		panic(err)
	}
	addToCart := func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.Get(r)
		if err != nil {
			http.Error(w, "session store unavailable", http.StatusInternalServerError)
			return
		}
		s.Update(func(c *cart) { c.Items++ })
		if err := sessions.Commit(r.Context(), w, s); err != nil {
			http.Error(w, "could not save the session", http.StatusInternalServerError)
		}
	}

	// Two requests of one browser.
	w := httptest.NewRecorder()
	addToCart(w, httptest.NewRequest("POST", "/cart", nil))
	r := httptest.NewRequest("POST", "/cart", nil)
	r.AddCookie(w.Result().Cookies()[0])
	addToCart(httptest.NewRecorder(), r)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				fmt.Printf("%s{%s} %d\n", m.Name, p.Attributes.Encoded(attribute.DefaultEncoder()), p.Value)
			}
		case metricdata.Histogram[float64]:
			for _, p := range d.DataPoints {
				fmt.Printf("%s{%s} %d calls\n", m.Name, p.Attributes.Encoded(attribute.DefaultEncoder()), p.Count)
			}
		case metricdata.Histogram[int64]:
			for _, p := range d.DataPoints {
				fmt.Printf("%s{%s} %d cookies\n", m.Name, p.Attributes.Encoded(attribute.DefaultEncoder()), p.Count)
			}
		}
	}
	// Unordered output:
	// session.load{session.load.outcome=new,session.store.name=memory} 1
	// session.load{session.load.outcome=loaded,session.store.name=memory} 1
	// session.commit{session.commit.outcome=written,session.store.name=memory} 2
	// session.cookie.size{session.store.name=memory} 1 cookies
	// session.store.duration{session.store.name=memory,session.store.operation=create} 1 calls
	// session.store.duration{session.store.name=memory,session.store.operation=read} 1 calls
	// session.store.duration{session.store.name=memory,session.store.operation=compare_and_update} 1 calls
}

// Hooks of your own beside the OpenTelemetry ones.
func ExampleJoin() {
	otelHooks, err := otelsession.Hooks()
	if err != nil {
		panic(err)
	}
	audit := session.Hooks{
		Lifecycle: func(ctx context.Context, e session.LifecycleEvent) {
			fmt.Println("audit:", e.Kind)
		},
	}
	cfg := session.Config[cart]{
		Cookie: session.CookieOptions{Secrets: []string{"Rk7Zp2Wq9Xv4Mb1Nc6Ls3Jd8Hf5Gt0Ya"}},
		Hooks:  otelsession.Join(otelHooks, audit),
	}
	sessions, err := session.NewCookieStorage(cfg)
	if err != nil {
		panic(err)
	}
	s, _ := sessions.Get(httptest.NewRequest("GET", "/logout", nil))
	_ = sessions.Destroy(context.Background(), httptest.NewRecorder(), s)
	// Output:
	// audit: destroy
}
