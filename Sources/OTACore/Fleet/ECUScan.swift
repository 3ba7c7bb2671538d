/// The ECUs of a vehicle the visitor has not decided yet (a few in ten for a selective rule,
/// all for a fleet-wide one): a loop that keeps its state in locals, reads the node of each
/// ECU first, and only checks (`quickCheckFields`) the ECUs the visitor does not want.
extension SnapshotWalk {
    /// Reads the ECUs of a definite array whose node is a table index, as far as it can:
    /// how many it read (taken off `items`). The rest, and the errors, are the general
    /// reader's; an ECU read here is reported exactly as `ecu` reports it.
    @inline(never)
    mutating func quickReadECUs<V: SnapshotVisitor>(_ items: inout CBORItems, _ visitor: inout V) throws(OTAError) -> Int {
        var read = 0
        var remaining = items.remaining
        let table = fieldTable.values
        defer { items.remaining = remaining }
        while remaining > 0 && scanner.count &- scanner.offset >= 128 {
            let start = scanner.offset
            let p = scanner.base + start
            let h = p[0]
            guard h &- 0x83 < 3 else { break }
            // the node: a table index in one or two bytes
            let b = p[1]
            let node = b < 0x18 ? Int(b) : b == 0x18 ? Int(p[2]) : Int.max
            guard node < table.tableCount else { break }
            if visitor.wantsECU(node: Str(tableIndex: node), strings) {
                do throws(OTAError) {
                    try ecu(&visitor)
                } catch {
                    throw error.prefixed("ecus[\(read)]")
                }
            } else {
                let end = quickCheckFields(table, start, b < 0x18 ? 2 : 3, from: 1, to: Int(h &- 0x80))
                guard end >= 0 else { break }
                scanner.offset = start &+ end
            }
            remaining &-= 1
            read &+= 1
        }
        return read
    }
}
