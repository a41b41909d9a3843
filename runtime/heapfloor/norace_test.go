//go:build !race

package heapfloor

// slack widens the bounds of TestHeapStaysNearTheFloor (see race_test.go).
const slack = 1
