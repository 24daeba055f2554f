/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Test firmware for the vfio-ext bench: a _DSM on the slot node of the
 * edu device at 00:10.0 (\_SB.PCI0.S80 in QEMU's q35 DSDT).  The edu at
 * 00:12.0 (S90) deliberately gets none.
 *
 * QEMU's DSDT has revision 1 (32-bit integers), but ACPICA runs a method
 * with the integer width of the table that defines it: this table has
 * revision 2, so its methods see 64-bit integers.
 *
 * UUID c0ffee00-1234-4abc-8def-0123456789ab, functions:
 *   0  supported functions: Buffer { 0xff, 0x3f } (0-13)
 *   1  Integer 0x12345678
 *   2  String "vfio-ext"
 *   3  Buffer { 1, 2, 3, 4, 5 }
 *   4  Package { 0xcafe, "pkg", Buffer { 0xaa, 0xbb } }
 *   5  returns Arg3 (echo)
 *   6  Package { Package { 1 } } (nested: not representable)
 *   7  sleeps 1000 ms, returns 7
 *   8  returns Arg1 (revision echo)
 *   9  Buffer of 1024 bytes, first byte 0x5a
 *  10  Package { \_SB.PCI0.S80 }: a reference, not representable
 *  11  fails with an AML error (divide by zero)
 *  12  Notify (\_SB.PCI0.S80, Arg3[0]): a real firmware notification
 *  13  Notify 0x80, 0x81, 0x82 in this order
 * Any other UUID or function: Buffer { 0 }.
 *
 * The edu at 00:13.0 (\_SB.PCI0.S98) gets a second, NotSerialized _DSM with
 * the same UUID and functions 1 (Integer), 4 (Package) and 5 (echo); other
 * functions return Buffer { 0 }.  It is the one the fault-injection test
 * (selftests/faults/) evaluates: Linux 6.1's
 * ACPICA never releases a Serialized method's mutex when an allocation
 * fails right after the method started (acpi_ps_execute_method()), so
 * fault injection on S80's Serialized _DSM would wedge it for good.  It
 * declares no named object, which would make ACPICA serialize it anyway.
 */
DefinitionBlock ("", "SSDT", 2, "VFIOXT", "VFXTTEST", 0x00000001)
{
	External (\_SB.PCI0.S80, DeviceObj)
	External (\_SB.PCI0.S98, DeviceObj)

	Scope (\_SB.PCI0.S80)
	{
		Name (CNT, 0)

		Method (_DSM, 4, Serialized)
		{
			If ((Arg0 == ToUUID ("c0ffee00-1234-4abc-8def-0123456789ab")))
			{
				Local0 = ToInteger (Arg2)
				If ((Local0 == 0)) {
					Return (Buffer (2) { 0xff, 0x3f })
				}
				If ((Local0 == 1)) {
					Return (0x12345678)
				}
				If ((Local0 == 2)) {
					Return ("vfio-ext")
				}
				If ((Local0 == 3)) {
					Return (Buffer (5) { 1, 2, 3, 4, 5 })
				}
				If ((Local0 == 4)) {
					Return (Package (3) { 0xcafe, "pkg", Buffer (2) { 0xaa, 0xbb } })
				}
				If ((Local0 == 5)) {
					Return (Arg3)
				}
				If ((Local0 == 6)) {
					Return (Package (1) { Package (1) { 1 } })
				}
				If ((Local0 == 7)) {
					Sleep (1000)
					CNT++
					Return (7)
				}
				If ((Local0 == 8)) {
					Return (Arg1)
				}
				If ((Local0 == 9)) {
					Local1 = Buffer (1024) { 0x5a }
					Return (Local1)
				}
				If ((Local0 == 10)) {
					Return (Package (1) { \_SB.PCI0.S80 })
				}
				If ((Local0 == 11)) {
					Local1 = 0
					Return ((1 / Local1))
				}
				If ((Local0 == 12)) {
					Local1 = DerefOf (Arg3 [0])
					Notify (\_SB.PCI0.S80, Local1)
					Return (0)
				}
				If ((Local0 == 13)) {
					Notify (\_SB.PCI0.S80, 0x80)
					Notify (\_SB.PCI0.S80, 0x81)
					Notify (\_SB.PCI0.S80, 0x82)
					Return (0)
				}
			}
			Return (Buffer (1) { 0 })
		}
	}

	Scope (\_SB.PCI0.S98)
	{
		Method (_DSM, 4, NotSerialized)
		{
			If ((Arg0 == ToUUID ("c0ffee00-1234-4abc-8def-0123456789ab")))
			{
				Local0 = ToInteger (Arg2)
				If ((Local0 == 1)) {
					Return (0x12345678)
				}
				If ((Local0 == 4)) {
					Return (Package (3) { 0xcafe, "pkg", Buffer (2) { 0xaa, 0xbb } })
				}
				If ((Local0 == 5)) {
					Return (Arg3)
				}
			}
			Return (Buffer (1) { 0 })
		}
	}
}
