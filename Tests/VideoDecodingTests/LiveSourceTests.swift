import Foundation
import FERTestSupport
import Synchronization
@testable import VideoDecoding
import XCTest

/// Cameras and network streams: what is absent or silent gives an error in bounded time, and
/// interrupt() stops a read.
final class LiveSourceTests: XCTestCase {
    func testWhatAPathNames() {
        XCTAssertEqual(VideoInput.kind(of: "/dev/video0"), .device)
        XCTAssertEqual(VideoInput.kind(of: "udp://127.0.0.1:5000"), .network)
        XCTAssertEqual(VideoInput.kind(of: "RTSP://cam.local/stream"), .network)
        XCTAssertEqual(VideoInput.kind(of: "https://example.com/v.mp4"), .network)
        XCTAssertEqual(VideoInput.kind(of: "file:///tmp/v.mp4"), .file)
        XCTAssertEqual(VideoInput.kind(of: "talk.mp4"), .file)
    }

    func testAnAbsentCameraSaysSo() throws {
        let path = "/dev/video-ferdash-test-none"
        let error = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(path: path) })
        XCTAssertEqual(error.kind, .cannotOpen)
        XCTAssertTrue(error.description.hasPrefix("\(path): no camera at \(path)"), error.description)
    }

    /// A UDP port nobody sends to: opening gives up after the time-out instead of waiting for ever.
    func testASilentStreamTimesOut() throws {
        let started = Date()
        let error = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(path: "udp://127.0.0.1:45831", options: .init(timeout: 0.5)) })
        XCTAssertEqual(error.kind, .cannotOpen)
        XCTAssertTrue(error.message.contains("no data for 0.5 s"), error.message)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// A TCP stream that sends the first part of a video and then goes quiet: nextFrame blocks in
    /// the read, and interrupt() from another thread ends it. (Ten seconds are sent: opening reads
    /// up to five to learn the stream's parameters, and with no time-out would wait for them.)
    func testInterruptEndsABlockedRead() throws {
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("live.mkv"), width: 32, height: 32, times: VideoFixtures.constantRate(600))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let server = try StallingServer(sending: Array(bytes.prefix(bytes.count / 2)))
        defer { server.close() }
        let decoder = try VideoDecoder(path: "tcp://127.0.0.1:\(server.port)", options: .init(timeout: nil))
        XCTAssertTrue(decoder.info.isLive)
        XCTAssertNil(decoder.info.duration)
        XCTAssertEqual(VideoFixtures.videoError { try decoder.seek(to: 1) }?.message, "cannot seek in a live stream")
        let interrupter = decoder.interrupter
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { interrupter.interrupt() }
        let started = Date()
        var count = 0
        let error = try XCTUnwrap(VideoFixtures.videoError { () -> Void in
            while try decoder.nextFrame() != nil { count += 1 }
        })
        XCTAssertEqual(error.kind, .interrupted)
        XCTAssertGreaterThan(count, 10, "the frames that arrived came out first")
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
    }

    /// The same, stopped by the time-out instead.
    func testAStalledStreamTimesOut() throws {
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("live.mkv"), width: 32, height: 32, times: VideoFixtures.constantRate(600))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let server = try StallingServer(sending: Array(bytes.prefix(bytes.count / 2)))
        defer { server.close() }
        let decoder = try VideoDecoder(path: "tcp://127.0.0.1:\(server.port)", options: .init(timeout: 0.5))
        let error = try XCTUnwrap(VideoFixtures.videoError { () -> Void in while try decoder.nextFrame() != nil {} })
        XCTAssertEqual(error.kind, .interrupted)
        XCTAssertTrue(error.message.contains("no data for 0.5 s"), error.message)
        XCTAssertNotNil(error.time)
    }

    /// The handle another thread holds stops the decoder it came from, and stays safe to use
    /// after that decoder is gone (it owns the flag, not the decoder).
    func testAnInterrupterFromAnotherThreadStopsItsDecoderAndOutlivesIt() throws {
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("h.mp4"), times: VideoFixtures.constantRate(10))
        var decoder: VideoDecoder? = try VideoDecoder(path: path)
        let interrupter = decoder!.interrupter
        XCTAssertNotNil(try decoder!.nextFrame())
        let done = expectation(description: "interrupted from another thread")
        DispatchQueue.global().async { interrupter.interrupt(); done.fulfill() }
        wait(for: [done], timeout: 10)
        XCTAssertEqual(VideoFixtures.videoError { try decoder!.nextFrame() }?.kind, .interrupted)
        decoder = nil
        interrupter.interrupt()
        let other = try VideoDecoder(path: path)
        XCTAssertNotNil(try other.nextFrame(), "another decoder's flag is its own")
    }

    func testInterruptStopsAFileDecoder() throws {
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("i.mp4"), times: VideoFixtures.constantRate(10))
        let decoder = try VideoDecoder(path: path)
        XCTAssertNotNil(try decoder.nextFrame())
        DispatchQueue.global().sync { decoder.interrupt() }
        let error = try XCTUnwrap(VideoFixtures.videoError { try decoder.nextFrame() })
        XCTAssertEqual(error.kind, .interrupted)
        XCTAssertEqual(error.file, path)
        XCTAssertEqual(VideoFixtures.videoError { try decoder.nextFrame() }?.kind, .interrupted, "and stays so")
    }
}

/// Listens on a free local port, accepts one client, sends it `bytes`, then says nothing more
/// while keeping the connection open.
final class StallingServer: Sendable {
    let port: UInt16
    private let socketFD: Int32
    /// The accepted client's descriptor, -1 until one connects; `close` closes it under the lock
    /// so a client accepted at that moment is not left open.
    private let clientFD = Mutex<Int32>(-1)

    init(sending bytes: [UInt8]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        socketFD = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 4) == 0 else { throw NSError(domain: "StallingServer", code: 1) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        serve(bytes)
    }

    private func serve(_ bytes: [UInt8]) {
        let listener = socketFD
        Thread.detachNewThread { [self] in
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            clientFD.withLock { $0 = client }
            _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    func close() {
        clientFD.withLock { client in
            if client >= 0 { Glibc.close(client) }
            shutdown(socketFD, Int32(SHUT_RDWR))
            Glibc.close(socketFD)
        }
    }
}
