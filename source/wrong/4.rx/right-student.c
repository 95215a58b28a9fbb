/* Right 4.rx: the receive path as written from the contract in a handout.
 *
 * Another correct solution, the one the lab's trial as a student wrote:
 * a room() helper instead of a capacity, the level kept as a bool, a
 * push that counts what it took in a for loop and does not look at the
 * timeout first, an overrun without FIFOs written at the newest place
 * (the only one there is). The tests must not mind any of it.
 *
 * Passes: unit.uart-rx unit.uart unit.uart-iir guest.uart-loopback
 *	guest.uart-fifo.user guest.uart-echo.user guest.uart-pipe
 *	guest.uart-flood
 */
static unsigned int room(const struct uart *u)
{
	unsigned int cap = fifo_on(u) ? UART_FIFO : 1;

	return u->rx_count < cap ? cap - u->rx_count : 0;
}

static void update(struct uart *u)
{
	bool on = iir_now(u) != UART_IIR_NONE && (u->mcr & UART_MCR_OUT2) &&
		  !(u->mcr & UART_MCR_LOOP);

	if ((int)on != u->irq_level) {
		u->irq_level = on;
		if (u->ops.irq)
			u->ops.irq(u->opaque, on);
	}
	arm_deadline(u);
	if (u->host_waiting && !(u->mcr & UART_MCR_LOOP) && room(u)) {
		u->host_waiting = false;
		if (u->ops.rx_ready)
			u->ops.rx_ready(u->opaque);
	}
}

static bool rx_put(struct uart *u, uint8_t b)
{
	if (!room(u))
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = b;
	u->rx_count++;
	u->timeout_pending = false;
	u->rx_activity_ns = now(u);
	return true;
}

static void rx_overrun(struct uart *u, uint8_t b)
{
	u->lsr_err |= UART_LSR_OE;
	u->overruns++;
	if (!fifo_on(u))
		u->rx[(u->rx_head + u->rx_count - 1) % UART_FIFO] = b;
}

static uint8_t rbr_read(struct uart *u)
{
	if (u->rx_count > 0) {
		u->rbr_last = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO;
		u->rx_count--;
	}
	u->timeout_pending = false;
	u->rx_activity_ns = now(u);
	return u->rbr_last;
}

size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t took = 0;

	pthread_mutex_lock(&u->lock);
	if (!(u->mcr & UART_MCR_LOOP))
		for (; took < n; took++)
			if (!rx_put(u, buf[took]))
				break;
	if (took < n)
		u->host_waiting = true;
	update(u);
	pthread_mutex_unlock(&u->lock);
	return took;
}
