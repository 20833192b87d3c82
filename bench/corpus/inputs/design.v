// Input of the `programs` benchmark (yosys, nextpnr-ice40). Written for this benchmark.
// A small streaming DSP block on one clock: an LFSR test-pattern source, a 4-tap FIR filter,
// a CRC-32 over the filter's output and an 8x8 multiply-accumulate unit; `sel` picks which
// byte reaches the LEDs, so that synthesis keeps every block.
module lfsr32 (input clk, input rst, output reg [31:0] q);
  always @(posedge clk)
    if (rst) q <= 32'h1;
    else q <= {q[30:0], q[31] ^ q[21] ^ q[1] ^ q[0]};
endmodule

module fir4 (input clk, input rst, input signed [7:0] x, output reg signed [17:0] y);
  reg signed [7:0] t0, t1, t2, t3;
  always @(posedge clk)
    if (rst) begin
      {t0, t1, t2, t3} <= 0;
      y <= 0;
    end else begin
      {t0, t1, t2, t3} <= {x, t0, t1, t2};
      y <= t0 * 8'sd13 + t1 * 8'sd61 + t2 * 8'sd61 + t3 * 8'sd13;
    end
endmodule

module crc32 (input clk, input rst, input en, input [7:0] d, output reg [31:0] crc);
  integer i;
  reg [31:0] c;
  always @(posedge clk) begin
    if (rst) crc <= 32'hFFFFFFFF;
    else if (en) begin
      c = crc;
      for (i = 0; i < 8; i = i + 1)
        c = (c[0] ^ d[i]) ? (c >> 1) ^ 32'hEDB88320 : (c >> 1);
      crc <= c;
    end
  end
endmodule

module mac8 (input clk, input rst, input [7:0] a, input [7:0] b, output reg [23:0] acc);
  always @(posedge clk)
    if (rst) acc <= 0;
    else acc <= acc + a * b;
endmodule

module top (input clk, input rst, input [7:0] sel, output [7:0] led);
  wire [31:0] r;
  wire signed [17:0] f;
  wire [31:0] crc;
  wire [23:0] m;
  lfsr32 src (.clk(clk), .rst(rst), .q(r));
  fir4 filt (.clk(clk), .rst(rst), .x(r[7:0]), .y(f));
  crc32 chk (.clk(clk), .rst(rst), .en(r[31]), .d(f[7:0] ^ f[15:8]), .crc(crc));
  mac8 mac (.clk(clk), .rst(rst), .a(r[31:24]), .b(f[15:8]), .acc(m));
  reg [7:0] out;
  always @(posedge clk)
    case (sel[2:0])
      3'd0: out <= crc[7:0];   3'd1: out <= crc[15:8];
      3'd2: out <= crc[23:16]; 3'd3: out <= crc[31:24];
      3'd4: out <= m[7:0];     3'd5: out <= m[15:8];
      3'd6: out <= m[23:16];   default: out <= f[7:0] ^ r[7:0];
    endcase
  assign led = out;
endmodule
