// Vectors for src/json/go-fold.ts: which struct field Go's encoding/json decodes each JSON key into.
//
//	go run test/vectors/gen_go_fold.go > test/vectors/go-fold.json   (Go's standard library only; no modules)
//
// One struct holds every field name TUF / Notary metadata objects have (go-tuf data/types.go, notary
// tuf/data), each as a json.RawMessage; each candidate key is decoded alone into a fresh struct and the
// field that received it (or none) recorded. Candidates: each name, its letters' case flipped one at a
// time and all at once, s/k replaced by U+017F / U+212A one at a time and all at once, and look-alikes
// that must not match (Cyrillic, dotted and dotless i, fullwidth letters, trailing space, dropped "_").
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
)

type fields struct {
	F00 json.RawMessage `json:"signed"`
	F01 json.RawMessage `json:"signatures"`
	F02 json.RawMessage `json:"keyid"`
	F03 json.RawMessage `json:"sig"`
	F04 json.RawMessage `json:"method"`
	F05 json.RawMessage `json:"_type"`
	F06 json.RawMessage `json:"version"`
	F07 json.RawMessage `json:"expires"`
	F08 json.RawMessage `json:"spec_version"`
	F09 json.RawMessage `json:"custom"`
	F10 json.RawMessage `json:"consistent_snapshot"`
	F11 json.RawMessage `json:"keys"`
	F12 json.RawMessage `json:"roles"`
	F13 json.RawMessage `json:"keyids"`
	F14 json.RawMessage `json:"threshold"`
	F15 json.RawMessage `json:"targets"`
	F16 json.RawMessage `json:"delegations"`
	F17 json.RawMessage `json:"length"`
	F18 json.RawMessage `json:"hashes"`
	F19 json.RawMessage `json:"name"`
	F20 json.RawMessage `json:"terminating"`
	F21 json.RawMessage `json:"paths"`
	F22 json.RawMessage `json:"path_hash_prefixes"`
	F23 json.RawMessage `json:"meta"`
	F24 json.RawMessage `json:"keytype"`
	F25 json.RawMessage `json:"scheme"`
	F26 json.RawMessage `json:"keyid_hash_algorithms"`
	F27 json.RawMessage `json:"keyval"`
	F28 json.RawMessage `json:"public"`
	F29 json.RawMessage `json:"private"`
}

func flip(r rune) rune {
	if r >= 'a' && r <= 'z' {
		return r - 32
	}
	if r >= 'A' && r <= 'Z' {
		return r + 32
	}
	return r
}

func candidates(name string) []string {
	rs := []rune(name)
	out := []string{name, strings.ToUpper(name)}
	for i, r := range rs {
		c := append([]rune{}, rs...)
		if f := flip(r); f != r {
			c[i] = f
			out = append(out, string(c))
		}
		c = append([]rune{}, rs...)
		switch r {
		case 's':
			c[i] = '\u017f'
			out = append(out, string(c))
		case 'k':
			c[i] = '\u212a'
			out = append(out, string(c))
		case 'i':
			c[i] = '\u0130'
			out = append(out, string(c))
			c[i] = '\u0131'
			out = append(out, string(c))
		case 'e':
			c[i] = '\u0435' // Cyrillic ie
			out = append(out, string(c))
		case '_':
			out = append(out, string(append(append([]rune{}, rs[:i]...), rs[i+1:]...)))
		}
		if r >= 'a' && r <= 'z' {
			c = append([]rune{}, rs...)
			c[i] = r - 'a' + '\uff41' // fullwidth
			out = append(out, string(c))
		}
	}
	all := strings.NewReplacer("s", "\u017f", "k", "\u212a", "S", "\u017f", "K", "\u212a").Replace(strings.ToUpper(name))
	out = append(out, all, name+" ", " "+name, name+"\u017f")
	return out
}

func main() {
	t := reflect.TypeOf(fields{})
	keys := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		for _, c := range candidates(strings.Split(t.Field(i).Tag.Get("json"), ",")[0]) {
			keys[c] = true
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	type vector struct {
		Key   string  `json:"key"`
		Field *string `json:"field"`
	}
	vectors := []vector{}
	for _, k := range sorted {
		doc, _ := json.Marshal(map[string]int{k: 1})
		var f fields
		if err := json.Unmarshal(doc, &f); err != nil {
			panic(err)
		}
		v := reflect.ValueOf(f)
		var got *string
		for i := 0; i < t.NumField(); i++ {
			if v.Field(i).Len() > 0 {
				name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
				got = &name
			}
		}
		vectors = append(vectors, vector{k, got})
	}
	out, _ := json.MarshalIndent(map[string]interface{}{"generator": "test/vectors/gen_go_fold.go, " + runtime.Version() + " encoding/json", "vectors": vectors}, "", "  ")
	fmt.Fprintln(os.Stdout, string(out))
}
